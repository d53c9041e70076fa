import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Signing in to the inspector and guarding its actions against requests forged by other sites. The page keeps
// the Keystone token in its session storage and sends it in X-Auth-Token (never a cookie), and every request that
// changes something also carries X-CSRF-Token: a keyed hash of that token which only a page that signed in here
// learns, and its Origin, when sent, must be this server's.

export class CsrfGuard {
  private readonly key = randomBytes(32);

  /** The value a page must send beside this token on every action. */
  tokenFor(authToken: string): string {
    return createHmac('sha256', this.key).update(authToken).digest('base64url');
  }

  matches(authToken: string, given: string | undefined): boolean {
    if (!given) return false;
    const want = Buffer.from(this.tokenFor(authToken));
    const got = Buffer.from(given);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

/** Whether an Origin header names the server the request reached (scheme-less comparison of host and port). */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host;
  } catch {
    return false;
  }
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly project: string;
  readonly domain: string;
}

/** A Keystone token for a user's password, scoped to a project (undefined when Keystone refuses). */
export async function passwordToken(identityUrl: string, c: Credentials): Promise<{ token: string; expiresAt: string } | undefined> {
  const r = await fetch(`${identityUrl}/v3/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: c.user, domain: { id: c.domain }, password: c.password } } },
        scope: { project: { name: c.project, domain: { id: c.domain } } },
      },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await r.json().catch(() => undefined)) as { token?: { expires_at?: string } } | undefined;
  const token = r.headers.get('x-subject-token');
  return r.status === 201 && token ? { token, expiresAt: body?.token?.expires_at ?? '' } : undefined;
}
