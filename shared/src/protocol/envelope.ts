import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value, type ValueErrorIterator } from '@sinclair/typebox/value';

/** Bumped only for changes an old peer cannot read. */
export const PROTOCOL_VERSION = 1;

/**
 * Larger frames are refused by the WebSocket layer before any parsing. Big enough for a
 * base64 1080p snapshot in a response; recordings never travel as single messages.
 */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

export const Envelope = Type.Object(
  {
    v: Type.Literal(PROTOCOL_VERSION),
    type: Type.String({ minLength: 1, maxLength: 64 }),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    seq: Type.Optional(Type.Integer({ minimum: 1 })),
    ts: Type.String({ minLength: 10, maxLength: 40 }),
    body: Type.Unknown(),
  },
  { additionalProperties: false },
);
export type Envelope = Static<typeof Envelope>;

/** A set of message types a receiver accepts, each with the schema of its body. */
export type Catalog = Record<string, TSchema>;

export type Message<C extends Catalog> = {
  [K in keyof C & string]: Omit<Envelope, 'type' | 'body'> & { type: K; body: Static<C[K]> };
}[keyof C & string];

export type DecodeResult<C extends Catalog> =
  | { ok: true; message: Message<C> }
  | { ok: false; reason: string; id?: string };

interface Checker { Check(v: unknown): boolean; Errors(v: unknown): ValueErrorIterator }

/**
 * Compiled checks are fast but generate code; where a Content-Security-Policy forbids
 * that (the console), fall back to TypeBox's interpreter, which gives the same answers.
 */
function compile(schema: TSchema): Checker {
  try {
    return TypeCompiler.Compile(schema);
  } catch {
    return { Check: (v) => Value.Check(schema, v), Errors: (v) => Value.Errors(schema, v) };
  }
}

const envelopeCheck = compile(Envelope);

function firstError(check: Checker, value: unknown): string {
  const e = check.Errors(value).First();
  return e ? `${e.path || '/'}: ${e.message}` : 'invalid';
}

// Written without Buffer so the console can use the same decoder in the browser.
function toText(raw: string | Uint8Array | ArrayBuffer | Uint8Array[]): string {
  if (typeof raw === 'string') return raw;
  if (!Array.isArray(raw)) return new TextDecoder().decode(raw);
  const all = new Uint8Array(raw.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of raw) { all.set(b, at); at += b.byteLength; }
  return new TextDecoder().decode(all);
}

function utf8Length(s: string): number {
  // Every UTF-16 unit is 1 to 3 bytes of UTF-8: only encode when the answer is in doubt.
  return s.length * 3 <= MAX_MESSAGE_BYTES ? s.length : new TextEncoder().encode(s).byteLength;
}

function isEnvelope(v: unknown): v is Envelope {
  return typeof v === 'object' && v !== null && 'type' in v;
}

/**
 * Validates raw bytes from a socket against a catalog. Never throws: whatever a
 * peer sends, the caller gets either a typed message or a reason it can log and return.
 */
export function createDecoder<C extends Catalog>(catalog: C) {
  const checks = new Map<string, Checker>();
  for (const [type, schema] of Object.entries(catalog)) checks.set(type, compile(schema));

  return function decode(raw: string | Uint8Array | ArrayBuffer | Uint8Array[]): DecodeResult<C> {
    const size = typeof raw === 'string' ? utf8Length(raw) : Array.isArray(raw) ? raw.reduce((n, b) => n + b.byteLength, 0) : raw.byteLength;
    if (size > MAX_MESSAGE_BYTES) return { ok: false, reason: `message larger than ${MAX_MESSAGE_BYTES} bytes` };
    const text = toText(raw);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'message is not valid JSON' };
    }
    if (!envelopeCheck.Check(value) || !isEnvelope(value)) return { ok: false, reason: `bad envelope: ${firstError(envelopeCheck, value)}` };
    const check = checks.get(value.type);
    if (!check) return { ok: false, reason: `unknown message type "${value.type}"`, ...(value.id ? { id: value.id } : {}) };
    if (!check.Check(value.body)) {
      return { ok: false, reason: `bad body for "${value.type}": ${firstError(check, value.body)}`, ...(value.id ? { id: value.id } : {}) };
    }
    return { ok: true, message: value as Message<C> };
  };
}

/** Builds an envelope; the clock is injectable so tests can pin timestamps. */
export function envelope<C extends Catalog, K extends keyof C & string>(
  _catalog: C,
  type: K,
  body: Static<C[K]>,
  extra: { id?: string; seq?: number; now?: () => Date } = {},
): string {
  const msg: Envelope = { v: PROTOCOL_VERSION, type, ts: (extra.now?.() ?? new Date()).toISOString(), body };
  if (extra.id !== undefined) msg.id = extra.id;
  if (extra.seq !== undefined) msg.seq = extra.seq;
  return JSON.stringify(msg);
}
