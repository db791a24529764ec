import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../backoff';
import { AgentToHub } from './agent-link';
import { MAX_MESSAGE_BYTES, createDecoder, envelope } from './envelope';

const decode = createDecoder(AgentToHub);

describe('message decoding', () => {
  it('round-trips a valid message with its sequence number', () => {
    const text = envelope(AgentToHub, 'event', { kind: 'camera.offline', at: '2026-01-01T00:00:00Z', data: { camera: 'c1' } }, { seq: 7 });
    const r = decode(text);
    expect(r.ok && r.message.type === 'event' && r.message.seq).toBe(7);
    expect(decode(new TextEncoder().encode(text)).ok).toBe(true);
  });

  it.each([
    ['', 'not valid JSON'],
    ['null', 'bad envelope'],
    ['{"v":1,"type":"hello","ts":"2026-01-01T00:00:00Z","body":{},"extra":1}', 'bad envelope'],
    ['{"v":1,"type":"__proto__","ts":"2026-01-01T00:00:00Z","body":{}}', 'unknown message type "__proto__"'],
    ['{"v":1,"type":"event","ts":"2026-01-01T00:00:00Z","body":{"kind":"Bad Kind!","at":"x","data":{}}}', 'bad body for "event": /kind'],
  ])('rejects %j with a reason', (text, reason) => {
    const r = decode(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('rejects an oversized message before parsing it', () => {
    const r = decode(`"${'é'.repeat(MAX_MESSAGE_BYTES / 2)}"`);
    expect(!r.ok && r.reason).toMatch(/larger than/);
  });
});

describe('reconnect backoff', () => {
  it('grows from about a second to the cap, with jitter in the upper half', () => {
    expect(backoffDelay(0, { random: () => 0 })).toBe(500);
    expect(backoffDelay(0, { random: () => 1 })).toBe(1000);
    expect(backoffDelay(3, { random: () => 1 })).toBe(8000);
    expect(backoffDelay(50, { random: () => 0.5 })).toBe(22_500);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(4, { random: () => i / 20 })));
    expect(spread.size).toBe(20); // sites restarting together do not redial in lockstep
  });
});
