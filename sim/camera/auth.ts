// WS-UsernameToken (OASIS Username Token Profile 1.0) as ONVIF cameras check it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { attr, child, escapeXml, text, type XmlNode } from './soap';

const PASSWORD_DIGEST = '#PasswordDigest';
const PASSWORD_TEXT = '#PasswordText';

/** Real cameras (Axis "replay attack protection", Hikvision) refuse tokens whose Created is this far off their clock. */
export const MAX_CREATED_SKEW_MS = 5 * 60_000;

export interface Credentials {
  username: string;
  password: string;
}

export type AuthResult = { ok: true } | { ok: false; why: string };

/** base64(sha1(nonce bytes + Created + password)), the WS-Security PasswordDigest. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
}

export function checkUsernameToken(header: XmlNode, expected: Credentials, cameraNow: Date): AuthResult {
  const token = child(child(header, 'Security'), 'UsernameToken');
  if (!token) return { ok: false, why: 'no UsernameToken' };
  const username = text(token, 'Username');
  const passwordNode = child(token, 'Password');
  const password = text(passwordNode);
  if (username === undefined || password === undefined) return { ok: false, why: 'incomplete UsernameToken' };
  if (!sameString(username, expected.username)) return { ok: false, why: 'unknown user' };

  const type = attr(passwordNode, 'Type') ?? PASSWORD_TEXT;
  if (type.endsWith(PASSWORD_TEXT)) {
    return sameString(password, expected.password) ? { ok: true } : { ok: false, why: 'wrong password' };
  }
  if (!type.endsWith(PASSWORD_DIGEST)) return { ok: false, why: `unsupported password type ${type}` };

  const nonce = text(token, 'Nonce');
  const created = text(token, 'Created');
  if (nonce === undefined || created === undefined) return { ok: false, why: 'digest without Nonce or Created' };
  const createdMs = Date.parse(created);
  if (Number.isNaN(createdMs)) return { ok: false, why: 'unparseable Created' };
  if (Math.abs(createdMs - cameraNow.getTime()) > MAX_CREATED_SKEW_MS) {
    return { ok: false, why: 'Created too far from the camera clock' };
  }
  const digest = passwordDigest(Buffer.from(nonce, 'base64'), created, expected.password);
  return sameString(password, digest) ? { ok: true } : { ok: false, why: 'wrong password' };
}

function sameString(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Builds the Security header a client sends; the tests use it to speak raw SOAP. */
export function usernameTokenHeader(creds: Credentials, created: Date, nonce: Buffer): string {
  const createdIso = created.toISOString();
  return '<Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><UsernameToken>' +
    `<Username>${escapeXml(creds.username)}</Username>` +
    '<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">' +
    `${passwordDigest(nonce, createdIso, creds.password)}</Password>` +
    `<Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</Nonce>` +
    `<Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${createdIso}</Created>` +
    '</UsernameToken></Security>';
}
