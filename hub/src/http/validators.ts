import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Query strings and path parameters arrive as text, so "limit=50" must become 50; a JSON
 * body arrives typed, so {"name": 42} is the client's mistake and must be refused, not
 * quietly turned into "42". Fastify's single validator does one or the other for all.
 */
function ajv(coerce: boolean) {
  const opts: Options = { allErrors: false, removeAdditional: false, useDefaults: true, coerceTypes: coerce ? 'array' : false, strict: false };
  const a = new Ajv(opts);
  (addFormats as unknown as (a: Ajv) => void)(a);
  return a;
}

const typed = ajv(false);
const coercing = ajv(true);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? typed : coercing).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
