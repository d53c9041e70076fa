import { randomBytes } from 'node:crypto';

// VNC authentication (DES) uses 8 bytes of the password: a longer one adds nothing.
const LENGTH = 8;
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password for one domain's VNC server. It belongs in the domain XML only: never log it. */
export function vncPassword(): string {
  // 256 is not a multiple of the alphabet's size: bytes past the last whole multiple are drawn again, so that
  // every character is equally likely.
  const limit = 256 - (256 % ALPHABET.length);
  let password = '';
  while (password.length < LENGTH) {
    for (const byte of randomBytes(LENGTH)) if (byte < limit && password.length < LENGTH) password += ALPHABET[byte % ALPHABET.length];
  }
  return password;
}
