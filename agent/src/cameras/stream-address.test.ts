import { describe, expect, it } from 'vitest';
import { CameraProtocolError } from './camera-errors';
import { reachableAddress } from './stream-address';

const at = (hostname: string, port = 80) => ({ hostname, label: `${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}` });
const stream = (reported: string, hostname = '203.0.113.7') => reachableAddress(reported, at(hostname), 'stream');

describe('stream and snapshot addresses reachable from the gateway', () => {
  it('a camera reporting another private IPv4 address (DHCP moved it): the reached host, the reported port, path and query', () => {
    expect(stream('rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1')).toEqual({
      uri: 'rtsp://203.0.113.7:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1',
      reported: 'rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1',
    });
  });

  it.each([
    ['0.0.0.0', 'rtsp://0.0.0.0:8554/live'],
    ['localhost', 'rtsp://localhost:8554/live'],
    ['127.0.0.1', 'rtsp://127.0.0.1:8554/live'],
    ['an internal host name', 'rtsp://cam-yard.internal.lan:8554/live'],
  ])('%s is replaced by the reached host', (_what, reported) => {
    expect(stream(reported, '10.20.0.15')).toEqual({ uri: 'rtsp://10.20.0.15:8554/live', reported });
  });

  it('127.0.0.1 is kept when that is where the agent reached the camera', () => {
    expect(stream('rtsp://127.0.0.1:8554/live', '127.0.0.1')).toEqual({ uri: 'rtsp://127.0.0.1:8554/live' });
  });

  it('IPv6: a reported literal is replaced by a reached one, in brackets; an IPv6 literal reported is replaced by a reached IPv4 host', () => {
    expect(stream('rtsp://[fd00::64]:554/stream1', 'fd00::1:20')).toEqual({ uri: 'rtsp://[fd00::1:20]:554/stream1', reported: 'rtsp://[fd00::64]:554/stream1' });
    expect(stream('rtsp://[fe80::1]/stream1', '192.168.1.20')).toEqual({ uri: 'rtsp://192.168.1.20/stream1', reported: 'rtsp://[fe80::1]/stream1' });
    expect(stream('rtsp://192.168.1.20/stream1', '2001:db8::20')).toEqual({ uri: 'rtsp://[2001:db8::20]/stream1', reported: 'rtsp://192.168.1.20/stream1' });
  });

  it('the same host is left alone, however it is spelled (case, IPv6 zeros)', () => {
    expect(stream('rtsp://203.0.113.7:554/h264')).toEqual({ uri: 'rtsp://203.0.113.7:554/h264' });
    expect(stream('rtsp://Cam-Gate.Local/h264', 'cam-gate.local')).toEqual({ uri: 'rtsp://Cam-Gate.Local/h264' });
    expect(stream('rtsp://[2001:db8:0:0::20]:554/h264', '2001:db8::20')).toEqual({ uri: 'rtsp://[2001:db8::20]:554/h264' });
  });

  it('credentials in the reported address are dropped from what is kept and shown', () => {
    expect(stream('rtsp://admin:s3cr%40t@192.168.1.64:554/live')).toEqual({ uri: 'rtsp://203.0.113.7:554/live', reported: 'rtsp://192.168.1.64:554/live' });
    expect(stream('rtsp://admin:s3cret@203.0.113.7/live')).toEqual({ uri: 'rtsp://203.0.113.7/live' });
    expect(reachableAddress('http://admin:s3cret@0.0.0.0/snap.jpg', at('10.0.0.9'), 'snapshot'))
      .toEqual({ uri: 'http://10.0.0.9/snap.jpg', reported: 'http://0.0.0.0/snap.jpg' });
  });

  it('no port reported: none is added (RTSP\'s 554, HTTP\'s 80 stay implied)', () => {
    expect(stream('rtsp://10.10.1.66/stream2_v', '127.0.0.1')).toEqual({ uri: 'rtsp://127.0.0.1/stream2_v', reported: 'rtsp://10.10.1.66/stream2_v' });
    expect(reachableAddress('http://10.10.1.66/jpeg', at('127.0.0.1', 8080), 'snapshot')).toEqual({ uri: 'http://127.0.0.1/jpeg', reported: 'http://10.10.1.66/jpeg' });
  });

  it('a missing host is filled in with the reached one', () => {
    expect(stream('rtsp:///live', '10.0.0.9')).toEqual({ uri: 'rtsp://10.0.0.9/live', reported: 'rtsp:///live' });
  });

  it.each([
    ['not a URL at all', 'Streaming/Channels/101', /its stream address "Streaming\/Channels\/101" is not an absolute URL/],
    ['an unclosed IPv6 bracket', 'rtsp://[fd00::64:554/live', /its stream address "rtsp:\/\/\[fd00::64:554\/live" is not a valid URL/],
    ['a space in the host', 'rtsp://cam gate/live', /is not a valid URL/],
    ['a port out of range', 'rtsp://10.0.0.1:99999/live', /is not a valid URL/],
    ['the wrong scheme', 'http://10.0.0.1/live', /its stream address "http:\/\/10\.0\.0\.1\/live" is not rtsp:\/\/ or rtsps:\/\//],
  ])('%s: CameraProtocolError naming the camera', (_what, reported, message) => {
    const err = (() => { try { return stream(reported); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(CameraProtocolError);
    expect((err as Error).message).toMatch(/^camera at 203\.0\.113\.7:80 did not answer like an ONVIF camera: /);
    expect((err as Error).message).toMatch(message);
  });

  it('a malformed address is quoted without the credentials in it', () => {
    expect(() => stream('rtsp://admin:hunter2@[fd00::64/live')).toThrow(/"rtsp:\/\/\[fd00::64\/live" is not a valid URL/);
    expect(() => stream('rtsp://admin:hun/ter2@cam gate/live')).not.toThrow(/hun|ter2/);
  });
});
