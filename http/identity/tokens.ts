import { randomBytes } from 'node:crypto';
import type { Clock } from '../../runtime/clock.js';
import type { Catalog } from './catalog.js';
import type { Directory } from './directory.js';
import { notFound, unauthorized } from './errors.js';
import type { RevocationList } from './revocations.js';
import type { TokenClaims, TokenSigner } from './token-signer.js';
import { isEnabled } from './views.js';
import { TtlCache } from './ttl-cache.js';

/** Who is calling, as a validated token says. */
export interface AuthContext {
  readonly token: string;
  readonly claims: TokenClaims;
  readonly userId: string;
  readonly projectId?: string;
  readonly domainId?: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const auditId = () => randomBytes(16).toString('base64url').slice(0, 22);

export class TokenService {
  // Views of a token are cached briefly: roles changed on another node show within a second.
  private readonly contexts: TtlCache<AuthContext>;
  private readonly bodies: TtlCache<string>;

  constructor(
    private readonly signer: TokenSigner,
    readonly revocations: RevocationList,
    private readonly directory: Directory,
    private readonly catalog: Catalog,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {
    this.contexts = new TtlCache(clock, () => directory.generation);
    this.bodies = new TtlCache(clock, () => directory.generation);
  }

  issue(claims: Omit<TokenClaims, 'issuedAt' | 'expiresAt' | 'audit'> & { expiresAt?: number }): { token: string; claims: TokenClaims } {
    const now = Math.max(this.clock.now(), this.revocations.latest(claims.user, claims.project) + 1);
    const full: TokenClaims = { ...claims, issuedAt: now, expiresAt: claims.expiresAt ?? now + this.ttlMs, audit: auditId() };
    return { token: this.signer.sign(full), claims: full };
  }

  /** The claims of a valid token; a bad, expired or revoked one is refused as Keystone refuses it. */
  validate(token: string | undefined, asSubject = false): TokenClaims {
    const claims = token ? this.signer.verify(token) : undefined;
    if (!claims || claims.expiresAt <= this.clock.now() || this.revocations.isRevoked(claims)) {
      throw asSubject ? notFound('token', token ?? '') : unauthorized();
    }
    return claims;
  }

  async context(token: string | undefined): Promise<AuthContext> {
    const claims = this.validate(token);
    const hit = this.contexts.get(token!);
    if (hit) return hit;
    const roles = await this.roles(claims);
    const names = roles.map((r) => r.name);
    const context: AuthContext = {
      token: token!,
      claims,
      userId: claims.user,
      projectId: claims.project,
      domainId: claims.domain,
      roles: names,
      isAdmin: names.includes('admin'),
    };
    return this.contexts.set(token!, context);
  }

  /** The token body clients read (`{"token": {...}}`), as JSON text ready to send. */
  async render(token: string, claims: TokenClaims, withCatalog: boolean): Promise<string> {
    const key = `${withCatalog ? 'c' : 'n'}${token}`;
    const hit = this.bodies.get(key);
    if (hit) return hit;
    const user = await this.directory.user(claims.user);
    if (!user || !isEnabled(user.enabled)) throw notFound('token', token);
    const userDomain = await this.directory.domain(user.domain_id);
    const body: Record<string, unknown> = {
      methods: claims.methods,
      user: { id: user.id, name: user.name, domain: { id: user.domain_id, name: userDomain?.name ?? user.domain_id }, password_expires_at: null },
      audit_ids: claims.chain ? [claims.audit, claims.chain] : [claims.audit],
      expires_at: iso(claims.expiresAt),
      issued_at: iso(claims.issuedAt),
    };
    if (claims.project) {
      const project = await this.directory.project(claims.project);
      if (!project) throw notFound('token', token);
      const domain = await this.directory.domain(project.domain_id);
      body.project = { id: project.id, name: project.name, domain: { id: project.domain_id, name: domain?.name ?? project.domain_id } };
      body.is_domain = false;
    } else if (claims.domain) {
      const domain = await this.directory.domain(claims.domain);
      if (!domain) throw notFound('token', token);
      body.domain = { id: domain.id, name: domain.name };
    }
    if (claims.project || claims.domain) {
      body.roles = (await this.roles(claims)).map((r) => ({ id: r.id, name: r.name }));
      if (withCatalog) body.catalog = await this.catalog.render(claims.project, claims.user);
    }
    return this.bodies.set(key, JSON.stringify({ token: body }));
  }

  private async roles(claims: TokenClaims) {
    if (claims.project) return this.directory.effectiveRoles(claims.user, { type: 'project', id: claims.project });
    if (claims.domain) return this.directory.effectiveRoles(claims.user, { type: 'domain', id: claims.domain });
    return [];
  }
}
