import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Models } from '../../models/index.js';
import { readRows } from '../../models/typed.js';

/** What a token says; it is signed, not stored, so any node holding the keys can validate it. */
export interface TokenClaims {
  readonly user: string;
  readonly methods: string[];
  readonly project?: string;
  readonly domain?: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Keystone's audit id: names this token in revocations without revealing it. */
  readonly audit: string;
  /** The audit id of the token this one was rescoped from. */
  readonly chain?: string;
  /** The application credential the token was issued for: its roles and life bound the token's. */
  readonly appCred?: string;
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * HMAC-SHA256 signed tokens (`claims.keyId.signature`), with keys in the database so tokens
 * survive restarts and validate on every node.
 */
export class TokenSigner {
  // A token's signature never changes meaning, so checked tokens are remembered (bounded).
  private readonly verified = new Map<string, TokenClaims>();

  private constructor(
    private readonly keys: Map<string, Buffer>,
    private readonly current: string,
  ) {}

  static async load(models: Models): Promise<TokenSigner> {
    let rows = await readRows(models.SigningKey, { order: [['created_at', 'ASC']] });
    if (rows.length === 0) {
      // Two nodes starting at once may both create a key: both are valid, any of them signs.
      await models.SigningKey.create({ id: randomBytes(8).toString('hex'), secret: randomBytes(32).toString('hex'), created_at: new Date() });
      rows = await readRows(models.SigningKey, { order: [['created_at', 'ASC']] });
    }
    const keys = new Map(rows.map((r) => [r.id, Buffer.from(r.secret, 'hex')]));
    return new TokenSigner(keys, rows[rows.length - 1].id);
  }

  sign(claims: TokenClaims): string {
    const body = `${b64(JSON.stringify(pack(claims)))}.${this.current}`;
    return `${body}.${this.mac(this.keys.get(this.current)!, body)}`;
  }

  /** The claims of a well-signed token, or undefined; expiry and revocation are checked elsewhere. */
  verify(token: string): TokenClaims | undefined {
    const known = this.verified.get(token);
    if (known) return known;
    const claims = this.check(token);
    if (claims) {
      if (this.verified.size >= 10_000) this.verified.clear();
      this.verified.set(token, claims);
    }
    return claims;
  }

  private check(token: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const key = this.keys.get(parts[1]);
    if (!key) return undefined;
    const expected = Buffer.from(this.mac(key, `${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      // The MAC matched: the payload is one this signer packed.
      return unpack(JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Packed);
    } catch {
      return undefined;
    }
  }

  // 128 bits of HMAC-SHA256, as Fernet keeps: tokens travel in every request's headers.
  private mac(key: Buffer, body: string): string {
    return createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url');
  }
}

// Claims travel as a positional array, so a token is short.
// The application credential comes last and only when there is one, so earlier tokens keep their meaning.
type Packed = [string, string[], string, string, number, number, string, string, string?];

const pack = (c: TokenClaims): Packed => {
  const packed: Packed = [c.user, c.methods, c.project ?? '', c.domain ?? '', c.issuedAt, c.expiresAt, c.audit, c.chain ?? ''];
  if (c.appCred) packed.push(c.appCred);
  return packed;
};

const unpack = ([user, methods, project, domain, issuedAt, expiresAt, audit, chain, appCred]: Packed): TokenClaims => ({
  user,
  methods,
  issuedAt,
  expiresAt,
  audit,
  ...(project ? { project } : {}),
  ...(domain ? { domain } : {}),
  ...(chain ? { chain } : {}),
  ...(appCred ? { appCred } : {}),
});
