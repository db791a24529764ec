import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../config';

const base = { hub: { url: 'ws://127.0.0.1:8080', enrolmentToken: 'sargs1.token-for-tests' } };
const parse = (drones: unknown) => parseAgentConfig({ ...base, drones }, '/tmp');

describe('drones section of the agent configuration', () => {
  it('defaults to no endpoints, and takes each kind with what it needs', () => {
    expect(parseAgentConfig(base, '/tmp').drones).toMatchObject({ endpoints: [], reconnect: { baseMs: 500, maxMs: 5_000 } });
    const endpoints = [
      { name: 'radio', kind: 'serial', device: '/dev/ttyUSB0', baud: 57_600 },
      { name: 'gcs', kind: 'udp-server', port: 14_550 },
      { name: 'office', kind: 'udp-client', host: '10.0.0.20', port: 14_550 },
      { name: 'qgc', kind: 'tcp-server', host: '0.0.0.0', port: 5_760 },
      { name: 'sitl', kind: 'tcp-client', host: 'localhost', port: 5_760 },
    ];
    expect(parse({ endpoints, reconnect: { baseMs: 100 } }).drones).toMatchObject({ endpoints, reconnect: { baseMs: 100, maxMs: 5_000 } });
  });

  it('names the bad key', () => {
    expect(() => parse({ endpoints: [{ name: 'radio', kind: 'serial' }] })).toThrow('bad value at "drones.endpoints.0.device": a serial endpoint needs "device"');
    expect(() => parse({ endpoints: [{ name: 'gcs', kind: 'udp-server', port: 14_550 }, { name: 'x', kind: 'udp-client', port: 1 }] }))
      .toThrow('bad value at "drones.endpoints.1.host"');
    expect(() => parse({ endpoints: [{ name: 'a', kind: 'udp-server', port: 1 }, { name: 'a', kind: 'tcp-server', port: 2 }] }))
      .toThrow('"drones.endpoints.1.name": another endpoint is already named "a"');
    expect(() => parse({ endpoints: [{ name: 'a', kind: 'udp-server', port: 1, baud: 9600 }] })).toThrow('"drones.endpoints.0.baud"');
    expect(() => parse({ endpoints: [{ name: 'a', kind: 'radio', port: 1 }] })).toThrow('"drones.endpoints.0.kind"');
    expect(() => parse({ endpoints: [{ name: 'a', kind: 'udp-server', port: 70_000 }] })).toThrow('"drones.endpoints.0.port"');
    expect(() => parse({ endpoint: [] })).toThrow('"drones');
  });
});
