import { AgentRequests, type RequestArgs, type RequestErrorCode, type RequestOp, type RequestResult, type Response } from '@sargs/shared';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Logger } from 'pino';

/** An error a handler throws to answer the hub with a specific code instead of "internal". */
export class RequestError extends Error {
  constructor(readonly code: RequestErrorCode, message: string) { super(message); }
}

type Handler<K extends RequestOp> = (args: RequestArgs<K>) => Promise<RequestResult<K>>;

const argChecks = Object.fromEntries(Object.entries(AgentRequests).map(([op, s]) => [op, TypeCompiler.Compile(s.args)]));

/**
 * Answers the hub's requests: checks the arguments against the op's schema, runs the
 * handler, and turns every outcome (including a thrown bug) into a response.
 */
export class RequestRouter {
  private readonly handlers = new Map<string, (args: unknown) => Promise<unknown>>();

  constructor(private readonly log: Logger) {}

  on<K extends RequestOp>(op: K, handler: Handler<K>): void {
    this.handlers.set(op, handler as (args: unknown) => Promise<unknown>);
  }

  async handle(op: string, args: unknown): Promise<Response> {
    const handler = this.handlers.get(op);
    const check = argChecks[op];
    if (!handler || !check) return { ok: false, error: { code: 'unknown-op', message: `this agent does not handle "${op}"` } };
    if (!check.Check(args)) {
      const e = check.Errors(args).First();
      return { ok: false, error: { code: 'bad-request', message: `bad arguments for "${op}": ${e ? `${e.path || '/'} ${e.message}` : 'invalid'}` } };
    }
    try {
      return { ok: true, result: await handler(args) };
    } catch (err) {
      if (err instanceof RequestError) return { ok: false, error: { code: err.code, message: err.message } };
      this.log.error({ err, op }, 'request handler failed');
      return { ok: false, error: { code: 'internal', message: `the agent failed to ${op}` } };
    }
  }
}
