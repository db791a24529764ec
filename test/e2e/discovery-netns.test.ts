// WS-Discovery end to end. Probes are multicast, so they run only inside a network namespace made
// for this test (loopback only, multicast routed to lo): nothing can leak onto a real network.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNamespace, isRoot } from '../support/netns';
import { repoRoot } from '../support/paths';

const PROBE_SCRIPT = join(repoRoot, 'sim', 'camera', 'discovery-probe.ts');

interface Found { endpointReference: string; xaddrs: string; scopes: string; types: string; relatesTo?: string }
interface ProbeReport {
  cameras: Array<{ endpointReference: string; xaddr: string; name: string }>;
  library: Found[];
  soap11: { messageId: string; found: Found[] };
}

if (!isRoot) {
  console.warn('discovery-netns: skipped, creating a network namespace needs root (run the tests as root or in the CI container)');
}

describe.skipIf(!isRoot)('WS-Discovery inside a network namespace', () => {
  let ns: TestNamespace | undefined;

  beforeAll(async () => { ns = await TestNamespace.create('disc'); });
  // Processes inside were started by `ip netns exec` and have exited (or were killed) by now.
  afterAll(async () => { await ns?.remove(); });

  it('the onvif library and a SOAP 1.1 probe find every simulated camera', async () => {
    const res = await ns!.runScript(PROBE_SCRIPT);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '{}') as ProbeReport;
    expect(report.cameras).toHaveLength(2);

    for (const cam of report.cameras) {
      const viaLibrary = report.library.find((f) => f.endpointReference === cam.endpointReference);
      expect(viaLibrary, `library probe found ${cam.name}`).toBeDefined();
      expect(cam.endpointReference).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      expect(viaLibrary?.xaddrs.split(' ')).toContain(cam.xaddr);
      expect(viaLibrary?.types).toContain('dn:NetworkVideoTransmitter');
      expect(viaLibrary?.scopes.split(' ')).toContain(`onvif://www.onvif.org/name/${encodeURIComponent(cam.name)}`);

      const viaSoap11 = report.soap11.found.find((f) => f.endpointReference === cam.endpointReference);
      expect(viaSoap11, `SOAP 1.1 probe found ${cam.name}`).toBeDefined();
      expect(viaSoap11?.relatesTo).toBe(report.soap11.messageId);
      expect(viaSoap11?.xaddrs).toBe(cam.xaddr);
    }
    expect(report.library).toHaveLength(2);
  });
});
