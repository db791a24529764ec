import type { StreamChoice } from '@sargs/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Fleet } from '../fleet/fleet';
import { DEFAULT_CHANNEL_TUNING, LiveChannel, type ChannelTuning } from './live-channel';
import type { LiveSink } from './live-viewer';
import type { MediaGateway } from './media-gateway';

/**
 * The hub's live channels, one per camera and stream that someone watches (or watched less than
 * the linger time ago). Joining makes the channel on demand; it forgets itself once idle.
 */
export class LiveChannels {
  private readonly channels = new Map<string, LiveChannel>();

  constructor(private readonly deps: { media: MediaGateway; fleet: Fleet; log: FastifyBaseLogger }, private readonly tuning: ChannelTuning = DEFAULT_CHANNEL_TUNING) {
    deps.media.on('connected', (agentId) => { for (const c of this.channels.values()) c.agentConnected(agentId); });
  }

  /** Adds a viewer to the camera's channel; the returned function removes it. */
  join(cameraId: string, stream: StreamChoice, viewer: LiveSink): () => void {
    const key = `${cameraId}\n${stream}`;
    let channel = this.channels.get(key);
    if (!channel) {
      const made: LiveChannel = new LiveChannel(cameraId, stream, {
        agentOf: async (id) => (await this.deps.fleet.cameras.find(id))?.agentId,
        open: (agentId, camera, s) => this.deps.media.open(agentId, 'live', { cameraId: camera, stream: s }),
        log: this.deps.log,
        onIdle: () => { if (this.channels.get(key) === made) this.channels.delete(key); },
      }, this.tuning);
      channel = made;
      this.channels.set(key, made);
    }
    const joined = channel;
    joined.add(viewer);
    return () => joined.remove(viewer);
  }

  /** Channels with their viewers and whether their upstream call is open, for diagnostics and tests. */
  list(): { cameraId: string; stream: StreamChoice; viewers: number; upstream: boolean; state: string }[] {
    return [...this.channels.values()].map((c) => ({ cameraId: c.cameraId, stream: c.stream, viewers: c.viewerCount, upstream: c.upstreamOpen, state: c.status.state }));
  }

  stop(): void {
    for (const c of [...this.channels.values()]) c.stop();
    this.channels.clear();
  }
}
