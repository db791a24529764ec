// The media link end to end in one process: a real hub, a real agent, a real WebSocket on loopback.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '@sargs/agent';
import { MediaError } from '@sargs/agent/video/media-link';
import type { RunningHub } from '@sargs/hub';
import { MediaCallError } from '@sargs/hub/video/media-gateway';
import { MEDIA_INITIAL_CREDIT } from '@sargs/shared';
import { hubWithAdmin, testAgent } from '../support/in-process';
import { tempDir } from '../support/paths';
import { waitFor } from '../support/wait';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function site(): Promise<{ hub: RunningHub; agent: Agent; agentId: string }> {
  const dir = tempDir('media-link');
  const { hub, admin } = await hubWithAdmin(dir.path + '/hub');
  const { agent: record, enrolmentToken } = await admin.createSite('Media');
  const { agent } = await testAgent(hub.url, enrolmentToken, dir.path + '/agent');
  cleanup.push(async () => { await agent.stop(); await hub.close(); dir.remove(); });
  await waitFor('media link up', () => hub.media.isConnected(record.id), 10_000);
  return { hub, agent, agentId: record.id };
}

describe('media link', () => {
  it('carries a bounded call byte for byte, and a slow reader holds the sender at its credit', async () => {
    const { hub, agent, agentId } = await site();
    const total = 3 * MEDIA_INITIAL_CREDIT;
    let written = 0;
    const sent = createHash('sha256');
    agent.media.handle('segments.read', async (args, reply) => {
      reply.head({ length: args.length });
      for (let i = 0; written < args.length; i++) {
        const chunk = Buffer.alloc(Math.min(1 << 20, args.length - written), i % 251);
        sent.update(chunk);
        await reply.write(chunk);
        written += chunk.length;
      }
    });
    const call = hub.media.open(agentId, 'segments.read', { cameraId: 'c', path: 'x.mp4', offset: 0, length: total });
    expect(await call.head).toEqual({ length: total });
    // Nobody reads yet: the agent must stop after its credit (plus what the hub's stream buffers).
    await waitFor('first credit used', () => written >= MEDIA_INITIAL_CREDIT - (1 << 20), 5000);
    await sleep(300); // a window in which an unpaced sender would race on; nothing to wait for
    expect(written).toBeLessThanOrEqual(MEDIA_INITIAL_CREDIT + (1 << 20));
    const got = createHash('sha256');
    let bytes = 0;
    for await (const chunk of call.body) { got.update(chunk as Buffer); bytes += (chunk as Buffer).length; }
    await call.end;
    expect(bytes).toBe(total);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
  });

  it("passes the agent's error code, refuses bad args, and cancels a running call", async () => {
    const { hub, agent, agentId } = await site();
    agent.media.handle('still', async () => { throw new MediaError('no-footage', 'nothing recorded at that time'); });
    const still = hub.media.open(agentId, 'still', { cameraId: 'c', at: new Date().toISOString() });
    await expect(still.head).rejects.toMatchObject({ code: 'no-footage', message: 'nothing recorded at that time' });

    const bad = hub.media.open(agentId, 'still', { cameraId: 'c', at: 5 } as never);
    await expect(bad.head).rejects.toMatchObject({ code: 'bad-args' });

    let aborted = false;
    agent.media.handle('live', async (_args, reply, signal) => {
      reply.head({ codec: 'avc1.42c01e', width: 320, height: 180, profileToken: 'p' });
      while (!signal.aborted) { reply.push(Buffer.from([2, 1, 2, 3])); await sleep(10); }
      aborted = true;
    });
    const live = hub.media.open(agentId, 'live', { cameraId: 'c', stream: 'sub' });
    const packets: Buffer[] = [];
    live.onPacket((p) => packets.push(p));
    await live.head;
    await waitFor('live packets', () => packets.length >= 3, 5000);
    expect([...packets[0]!]).toEqual([2, 1, 2, 3]);
    live.cancel();
    await waitFor('handler aborted', () => aborted, 5000);
    await expect(live.end).rejects.toBeInstanceOf(MediaCallError);
  });

  it('fails calls at once when the agent goes away', async () => {
    const { hub, agent, agentId } = await site();
    agent.media.handle('live', (_a, reply, signal) => { reply.head({ codec: 'avc1.42c01e', width: 1, height: 1, profileToken: 'p' }); return new Promise((r) => signal.addEventListener('abort', () => r())); });
    const live = hub.media.open(agentId, 'live', { cameraId: 'c', stream: 'main' });
    await live.head;
    await agent.media.stop();
    await expect(live.end).rejects.toMatchObject({ code: 'unreachable' });
    await expect(hub.media.open(agentId, 'still', { cameraId: 'c', at: new Date().toISOString() }).head).rejects.toMatchObject({ code: 'unreachable' });
  });
});
