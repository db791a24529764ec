// The agent's discoverCameras and `sargs camera discover`, end to end. Probes are multicast, so
// they run only inside a network namespace made for this test (loopback only, multicast routed
// to lo), as in discovery-netns.test.ts: nothing can leak onto a real network.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiscoveredCamera } from '@sargs/agent/cameras/discovery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNamespace, isRoot } from '../support/netns';

const here = dirname(fileURLToPath(import.meta.url));
const PROBE_SCRIPT = join(here, 'discovery-agent-probe.ts');

interface Report {
  cameras: Array<{ endpointReference: string; xaddr: string; name: string }>;
  quirky: { endpointReference: string; xaddrs: string[] };
  found: DiscoveredCamera[];
  cli: { code: number | null; out: string; err: string };
}

if (!isRoot) {
  console.warn('discovery-agent-netns: skipped, creating a network namespace needs root (run the tests as root or in the CI container)');
}

describe.skipIf(!isRoot)('agent WS-Discovery inside a network namespace', () => {
  let ns: TestNamespace | undefined;

  beforeAll(async () => { ns = await TestNamespace.create('adisc'); });
  // Processes inside were started by `ip netns exec` and have exited (or were killed) by now.
  afterAll(async () => { await ns?.remove(); });

  it('finds every camera once, names them from their scopes and picks a usable address', async () => {
    const res = await ns!.runScript(PROBE_SCRIPT);
    expect(res.code, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '{}') as Report;

    expect(report.found).toHaveLength(3);
    for (const cam of report.cameras) {
      expect(report.found.find((f) => f.endpointReference === cam.endpointReference)).toEqual({
        endpointReference: cam.endpointReference, xaddrs: [cam.xaddr], chosenUrl: cam.xaddr,
        name: cam.name, hardware: 'SimCam 1000', location: 'test-bench',
      });
    }
    // Answered twice with the same MessageID, plus junk: one entry, every address reported,
    // the link-local, unspecified and unroutable ones passed over.
    const quirky = report.found.filter((f) => f.endpointReference === report.quirky.endpointReference);
    expect(quirky).toEqual([{
      endpointReference: report.quirky.endpointReference, xaddrs: report.quirky.xaddrs, chosenUrl: report.cameras[0]?.xaddr,
      name: 'Quirky Cam é', hardware: 'QC-1', location: 'city/Riga',
    }]);

    expect(report.cli.code, report.cli.err).toBe(0);
    const viaCli = JSON.parse(report.cli.out) as DiscoveredCamera[];
    expect(viaCli.map((c) => c.endpointReference).sort()).toEqual(report.found.map((c) => c.endpointReference).sort());
    expect(viaCli.find((c) => c.endpointReference === report.quirky.endpointReference)?.chosenUrl).toBe(report.cameras[0]?.xaddr);
  });
});
