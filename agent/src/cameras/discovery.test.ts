// The parsing and address choice; the multicast probe itself runs in test/e2e/discovery-agent-netns.test.ts.
import { describe, expect, it } from 'vitest';
import { parseProbeMatches, usableXAddrs } from './discovery';

const match = (address: string, XAddrs: string, scopes: unknown = '') => ({
  probeMatches: { probeMatch: { endpointReference: { address }, types: 'dn:NetworkVideoTransmitter', scopes, XAddrs, metadataVersion: 1 } },
});

describe('WS-Discovery results', () => {
  it('reads name, hardware and location scopes, URL-decoded', () => {
    const [cam] = parseProbeMatches([match('urn:uuid:1', 'http://10.0.0.5/onvif/device_service',
      'onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/Front%20Gate onvif://www.onvif.org/hardware/DS-2CD2012-I ' +
      'onvif://www.onvif.org/location/country/latvia onvif://www.onvif.org/location/city/Riga onvif://www.onvif.org/name/bad%E0')]);
    expect(cam).toEqual({
      endpointReference: 'urn:uuid:1', xaddrs: ['http://10.0.0.5/onvif/device_service'],
      name: 'Front Gate', hardware: 'DS-2CD2012-I', location: 'country/latvia, city/Riga',
    });
  });

  it('merges answers from one device and reads scopes with attributes', () => {
    const found = parseProbeMatches([
      match('urn:uuid:1', 'http://169.254.3.4/onvif/device_service http://10.0.0.5/onvif/device_service', { _: 'onvif://www.onvif.org/name/A', $: { MatchBy: 'x' } }),
      match('urn:uuid:1', 'http://10.0.0.5/onvif/device_service http://10.0.0.9/onvif/device_service'),
      match('urn:uuid:2', 'http://10.0.0.6/onvif/device_service'),
      { probeMatches: { probeMatch: { XAddrs: 'http://10.0.0.7/' } } },
      'garbage', null,
    ]);
    expect(found.map((f) => [f.endpointReference, f.xaddrs.length, f.name])).toEqual([['urn:uuid:1', 3, 'A'], ['urn:uuid:2', 1, undefined]]);
  });

  it('drops link-local, unspecified and non-http addresses and prefers IPv4', () => {
    const urls = usableXAddrs([
      'http://[fe80::1]/onvif/device_service', 'http://0.0.0.0/onvif/device_service', 'http://169.254.10.10/onvif/device_service',
      'http://[2001:db8::5]/onvif/device_service', 'http://cam.local/onvif/device_service', 'http://[::]/x', 'not a url', 'ftp://10.0.0.1/',
      'http://10.0.0.5:8080/onvif/device_service',
    ]).map((u) => u.href);
    expect(urls).toEqual(['http://10.0.0.5:8080/onvif/device_service', 'http://cam.local/onvif/device_service', 'http://[2001:db8::5]/onvif/device_service']);
  });
});
