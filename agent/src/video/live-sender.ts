import type { MediaReply } from './media-link';
import type { LiveChunk } from './live-fragmenter';

/**
 * Sends one live call's chunks on the media link. The head goes with the first init; fragments go
 * only from a keyframe on, so the hub (and every browser behind it) can always decode what it gets:
 * when the link refuses a fragment (congested), everything up to the next keyframe is dropped, and
 * an init the link refused is sent again just before that keyframe.
 */
export class LiveSender {
  private headSent = false;
  private init: Buffer | undefined;
  private initPending = false;
  private waitingForKey = true;
  sent = 0;
  dropped = 0;

  constructor(private readonly reply: Pick<MediaReply<'live'>, 'head' | 'push'>, private readonly profileToken: string) {}

  send(c: LiveChunk): void {
    if (c.kind === 'init') {
      if (!this.headSent) {
        this.reply.head({ codec: c.info.codec, width: c.info.width, height: c.info.height, profileToken: this.profileToken });
        this.headSent = true;
      }
      this.init = c.packet;
      this.initPending = true;
      this.waitingForKey = true;
      return;
    }
    if (this.waitingForKey && !c.keyframe) { this.dropped++; return; }
    if (this.initPending) {
      if (!this.init || !this.reply.push(this.init)) { this.dropped++; return; }
      this.initPending = false;
    }
    if (this.reply.push(c.packet)) {
      this.waitingForKey = false;
      this.sent++;
    } else {
      this.waitingForKey = true;
      this.dropped++;
    }
  }
}
