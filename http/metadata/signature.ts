import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The identity a metadata proxy vouches for: which network or router namespace it serves and the address a request
 * came from there. Signed with the secret the proxies and the service share (Nova's `X-Instance-ID-Signature` idea:
 * HMAC-SHA256, hex), so that only a proxy can name a guest. The proxy script computes the same (see
 * drivers/dataplane/metadata-proxy.ts).
 */
export const signIdentity = (secret: string, kind: 'network' | 'router', id: string, address: string) =>
  createHmac('sha256', secret).update(`${kind}:${id}:${address}`).digest('hex');

export function identityVerified(secret: string, kind: 'network' | 'router', id: string, address: string, signature: string): boolean {
  const expected = Buffer.from(signIdentity(secret, kind, id, address), 'hex');
  const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
