// A site behind a slow uplink, for benchmarks whose figures depend on the link: two network
// namespaces this creates and removes ("hub" and "site"), joined by a veth pair whose ends tc
// limits to a rate (HTB, both directions). Traffic never leaves them: the hub listens on its veth
// address inside the hub namespace; the agent and the simulated cameras run in the site namespace
// (cameras on its loopback, as on a site's LAN); the browser runs in the hub namespace.
// The round trip: netem where the kernel has it; this project's VM kernel has no netem (nor fq),
// so otherwise a relay in the site namespace (delay-relay.ts) holds every chunk half the round
// trip in each direction, and the agent dials the hub through it.
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@sargs/sim/camera/test-helpers';

export interface LinkShape {
  /** Each direction's rate, Mbit/s. */
  rateMbit: number;
  /** Round trip added by the link (half each way), ms. */
  rttMs: number;
  /** Packet loss each way, percent. */
  lossPercent?: number;
}

async function sh(cmd: string, ...args: string[]): Promise<void> {
  const res = await run(cmd, args);
  if (res.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr.trim()}`);
}

export class ShapedLink {
  /** Addresses on the veth pair: the hub's and the site gateway's. */
  readonly hubAddress = '10.231.0.1';
  readonly siteAddress = '10.231.0.2';

  private constructor(readonly hubNs: string, readonly siteNs: string, private readonly dev: { hub: string; site: string }) {}

  static async create(shape: LinkShape): Promise<ShapedLink> {
    const tag = randomBytes(3).toString('hex');
    const link = new ShapedLink(`sargs-hub-${tag}`, `sargs-site-${tag}`, { hub: `vh${tag}`, site: `vs${tag}` });
    try {
      await sh('ip', 'netns', 'add', link.hubNs);
      await sh('ip', 'netns', 'add', link.siteNs);
      for (const ns of [link.hubNs, link.siteNs]) await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      await sh('ip', 'link', 'add', link.dev.hub, 'netns', link.hubNs, 'type', 'veth', 'peer', 'name', link.dev.site, 'netns', link.siteNs);
      await sh('ip', '-n', link.hubNs, 'addr', 'add', `${link.hubAddress}/30`, 'dev', link.dev.hub);
      await sh('ip', '-n', link.siteNs, 'addr', 'add', `${link.siteAddress}/30`, 'dev', link.dev.site);
      await sh('ip', '-n', link.hubNs, 'link', 'set', link.dev.hub, 'up');
      await sh('ip', '-n', link.siteNs, 'link', 'set', link.dev.site, 'up');
      await link.shape(shape);
    } catch (err) {
      await link.remove();
      throw err;
    }
    return link;
  }

  /** True when the kernel's netem adds the delay; false when a relay must (see relayNeeded). */
  netem = false;

  /** Applies a shape to both directions. */
  async shape(s: LinkShape): Promise<void> {
    const half = `${(s.rttMs / 2).toFixed(1)}ms`;
    for (const [ns, dev] of [[this.hubNs, this.dev.hub], [this.siteNs, this.dev.site]] as const) {
      const tc = (...a: string[]) => sh('ip', 'netns', 'exec', ns, 'tc', ...a);
      await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root']);
      await tc('qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '10');
      await tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:10', 'htb', 'rate', `${s.rateMbit}mbit`, 'ceil', `${s.rateMbit}mbit`);
      const netem = await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, 'parent', '1:10', 'handle', '10:', 'netem',
        'delay', half, ...(s.lossPercent ? ['loss', `${s.lossPercent}%`] : []), 'limit', '10000']);
      this.netem = netem.code === 0;
      if (!this.netem && s.lossPercent) throw new Error('packet loss needs the kernel\'s netem, which this kernel lacks');
    }
    this.relayDelayMs = this.netem ? 0 : s.rttMs / 2;
  }

  /** One-way delay a relay must add because netem could not: 0 when netem did it. */
  relayDelayMs = 0;

  /** Bytes the site has sent up the link so far (its veth's transmit counter). */
  async uplinkBytes(): Promise<number> {
    const res = await run('ip', ['netns', 'exec', this.siteNs, 'cat', `/sys/class/net/${this.dev.site}/statistics/tx_bytes`]);
    return Number(res.stdout.trim());
  }

  /** The command and arguments that run `cmd args` inside a namespace. */
  exec(ns: string, cmd: string, args: string[]): { cmd: string; args: string[] } {
    return { cmd: 'ip', args: ['netns', 'exec', ns, cmd, ...args] };
  }

  /** A script that starts Debian's chromium inside the hub namespace, for playwright's executablePath. */
  chromiumIn(dir: string): string {
    const path = join(dir, `chromium-${this.hubNs}.sh`);
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${this.hubNs} /usr/bin/chromium "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  async remove(): Promise<void> {
    // Deleting a namespace deletes its end of the veth, and with it the other end.
    for (const ns of [this.siteNs, this.hubNs]) await run('ip', ['netns', 'del', ns]);
  }
}
