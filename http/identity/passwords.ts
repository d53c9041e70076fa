import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt with OWASP's interactive-login cost; the parameters travel in the stored hash so
// they can be raised later without invalidating existing passwords.
export const SCRYPT = { N: 16_384, r: 8, p: 1, keylen: 32 } as const;

export const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(password, salt, keylen, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** The key derivation passwords go through; replaceable so a test can count the derivations. */
export type Kdf = typeof scrypt;

const NO_SALT = Buffer.alloc(16);

/**
 * Whether the password matches the stored hash. With no hash (an unknown or disabled user, a user
 * without a password) it still derives one key at the same cost, so the time of a refusal does not
 * tell which user names exist.
 */
export async function verifyPassword(password: string, stored: string | null | undefined, kdf: Kdf = scrypt): Promise<boolean> {
  const parts = stored?.split('$');
  if (!parts || parts.length !== 6 || parts[0] !== 'scrypt') {
    await kdf(password, NO_SALT, SCRYPT.keylen, SCRYPT);
    return false;
  }
  const [, N, r, p, salt, hash] = parts;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length !== SCRYPT.keylen) return false;
  const key = await kdf(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(N), r: Number(r), p: Number(p) });
  return timingSafeEqual(key, expected);
}
