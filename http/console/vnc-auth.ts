import { createCipheriv } from 'node:crypto';

// VNC Authentication (RFB 3.8, security type 2): the 16-byte challenge DES-encrypted with the password as the key,
// each key byte's bits reversed, the password cut or zero-padded to 8 bytes. Node 20's OpenSSL refuses `des-ecb`;
// two-key triple DES with both halves equal is single DES, and it is allowed.

const reverseBits = (b: number): number => {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
};

export function vncAuthResponse(password: string, challenge: Buffer): Buffer {
  if (challenge.length !== 16) throw new Error('a VNC challenge is 16 bytes');
  const key = Buffer.alloc(8);
  Buffer.from(password, 'latin1')
    .subarray(0, 8)
    .forEach((b, i) => (key[i] = reverseBits(b)));
  const cipher = createCipheriv('des-ede-ecb', Buffer.concat([key, key]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(challenge), cipher.final()]);
}
