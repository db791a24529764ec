// The `drones.endpoints` part of the agent's configuration file: the schema config.ts
// validates, and the checks a schema cannot express (which fields each kind needs, unique names).

import { Type } from '@sinclair/typebox';
import type { EndpointConfig, ReconnectSettings } from './endpoints/endpoint';

export const DroneEndpointSchema = Type.Object({
  /** Shown in reports and logs; unique. */
  name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  kind: Type.Union([
    Type.Literal('serial'), Type.Literal('udp-server'), Type.Literal('udp-client'), Type.Literal('tcp-server'), Type.Literal('tcp-client'),
  ]),
  device: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  baud: Type.Optional(Type.Integer({ minimum: 300, maximum: 12_000_000 })),
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
}, { additionalProperties: false });

export const DroneReconnectSchema = Type.Object({
  baseMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000 })),
  maxMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 600_000 })),
}, { additionalProperties: false });

/** A radio plugged back in should be relayed again within seconds, not minutes. */
export const DEFAULT_RECONNECT: ReconnectSettings = { baseMs: 500, maxMs: 5_000 };

const NEEDS: Record<EndpointConfig['kind'], readonly ('device' | 'host' | 'port')[]> = {
  serial: ['device'],
  'udp-server': ['port'],
  'udp-client': ['host', 'port'],
  'tcp-server': ['port'],
  'tcp-client': ['host', 'port'],
};

/** What is wrong with schema-valid endpoint entries, naming the key, or undefined when nothing is. */
export function droneEndpointsProblem(endpoints: readonly EndpointConfig[]): { key: string; message: string } | undefined {
  const names = new Set<string>();
  for (const [i, e] of endpoints.entries()) {
    const key = `drones.endpoints.${i}`;
    for (const field of NEEDS[e.kind]) {
      if (e[field] === undefined) return { key: `${key}.${field}`, message: `a ${e.kind} endpoint needs "${field}"` };
    }
    if ((e.kind === 'udp-client' || e.kind === 'tcp-client') && e.port === 0) {
      return { key: `${key}.port`, message: `a ${e.kind} endpoint needs the port to send to, not 0` };
    }
    if (e.kind !== 'serial' && e.device !== undefined) return { key: `${key}.device`, message: `only serial endpoints take "device"` };
    if (e.kind !== 'serial' && e.baud !== undefined) return { key: `${key}.baud`, message: `only serial endpoints take "baud"` };
    if (e.kind === 'serial' && (e.host !== undefined || e.port !== undefined)) {
      return { key: `${key}.${e.host !== undefined ? 'host' : 'port'}`, message: 'serial endpoints take "device" and "baud", not a network address' };
    }
    if (names.has(e.name)) return { key: `${key}.name`, message: `another endpoint is already named "${e.name}"` };
    names.add(e.name);
  }
  return undefined;
}
