// Per-link counters, the figures a pilot or IT looks at when a radio link is bad: how much
// arrives, how much of it is damaged, and how many frames never arrived at all (sequence gaps).

/** Counters of one endpoint since the agent started (all peers of a server endpoint together). */
export interface LinkCounters {
  /** Whole frames received and relayed (CRC good, or id unknown so unchecked). */
  rxFrames: number;
  /** Every byte received, valid or not. */
  rxBytes: number;
  /** Of rxFrames: frames whose message id is not in the registries (passed on unchecked). */
  unknownIds: number;
  /** Frames of a known message with a wrong CRC: dropped. */
  crcErrors: number;
  /** Frames of a known message whose length byte is larger than the message can be: dropped. */
  lengthErrors: number;
  /** Frames cut short (a datagram ending inside a frame): dropped. */
  truncated: number;
  /** Bytes received that were not part of any relayed frame: noise between frames, damaged frames. */
  droppedBytes: number;
  /** Times a sender's sequence number jumped (per system and component id). */
  seqGaps: number;
  /** Frames the jumps say were lost on the way (sum of the gap sizes). */
  seqLost: number;
  /** Frames sent out of this endpoint (to each peer counted once). */
  txFrames: number;
  txBytes: number;
  /** Frames not sent because the link was down or its send queue was full. */
  txDropped: number;
}

export function emptyCounters(): LinkCounters {
  return {
    rxFrames: 0, rxBytes: 0, unknownIds: 0, crcErrors: 0, lengthErrors: 0, truncated: 0, droppedBytes: 0,
    seqGaps: 0, seqLost: 0, txFrames: 0, txBytes: 0, txDropped: 0,
  };
}

/** The counters of one endpoint; mutated in place on the hot path, copied for reports. */
export class LinkStats {
  readonly counters: LinkCounters = emptyCounters();

  sent(bytes: number): void {
    this.counters.txFrames++;
    this.counters.txBytes += bytes;
  }

  notSent(): void {
    this.counters.txDropped++;
  }

  snapshot(): LinkCounters {
    return { ...this.counters };
  }
}

const NOT_SEEN = -1;

/**
 * Follows the sequence numbers of every sender (system id, component id) on one link.
 * Each sender numbers its frames 0..255 and wraps; a jump means frames were lost between
 * it and us. One tracker per peer: two ground stations on one TCP port both use id 255/190
 * and must not be taken for one sender losing frames.
 */
export class SeqGapCounter {
  // 256 × 256 senders, -1 = not heard yet. 128 KiB, cheaper per frame than a Map.
  private readonly last = new Int16Array(256 * 256).fill(NOT_SEEN);

  /** Records a frame's sequence number; returns how many frames from this sender went missing before it. */
  observe(sysid: number, compid: number, seq: number): number {
    const key = (sysid << 8) | compid;
    const last = this.last[key] as number;
    this.last[key] = seq;
    if (last === NOT_SEEN) return 0;
    return (seq - last - 1) & 0xff;
  }

  /** A link that reconnects starts over: the sender did not lose what we never waited for. */
  reset(): void {
    this.last.fill(NOT_SEEN);
  }
}
