import { CONSOLE_WS_PATH, HubToConsole, createDecoder, type Message } from '@sargs/shared/protocol/index';

const decode = createDecoder(HubToConsole);
export type ConsoleMessage = Message<typeof HubToConsole>;

/**
 * The console's WebSocket to the hub. Reconnects by itself with a growing, jittered
 * delay; every (re)connection starts with a full snapshot, so nothing is missed.
 */
export class LiveLink {
  private ws: WebSocket | undefined;
  private attempt = 0;
  private stopped = false;
  private timer: number | undefined;

  constructor(
    private readonly onMessage: (m: ConsoleMessage) => void,
    private readonly onState: (s: 'live' | 'reconnecting' | 'signed-out') => void,
  ) {}

  start(): void {
    const url = new URL(CONSOLE_WS_PATH, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => { this.attempt = 0; this.onState('live'); };
    ws.onmessage = (ev) => {
      const r = decode(String(ev.data));
      if (r.ok) this.onMessage(r.message);
      else console.warn('ignored message from hub:', r.reason);
    };
    ws.onclose = (ev) => {
      if (this.stopped) return;
      if (ev.code === 4401) { this.onState('signed-out'); return; }
      this.onState('reconnecting');
      const delay = Math.min(10_000, 500 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      this.timer = window.setTimeout(() => this.start(), delay);
    };
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.ws?.close();
  }
}
