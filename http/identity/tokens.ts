import { randomBytes } from 'node:crypto';
import type { ApplicationCredentialRow } from '../../models/index.js';
import type { AccessRule } from '../../services/identity/index.js';
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
  /** The application credential the token came from, if it did. */
  readonly applicationCredential?: ApplicationCredentialRow;
  /** Its access rules, when it has some: other services answer only the requests they allow. */
  readonly accessRules?: readonly AccessRule[];
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
    // A token never outlives the configured lifetime, nor what it was issued from (its parent token, its application credential).
    const full: TokenClaims = { ...claims, issuedAt: now, expiresAt: Math.min(claims.expiresAt ?? Infinity, now + this.ttlMs), audit: auditId() };
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
    const applicationCredential = await this.applicationCredential(claims, unauthorized);
    const roles = await this.roles(claims, applicationCredential);
    const names = roles.map((r) => r.name);
    const context: AuthContext = {
      token: token!,
      claims,
      userId: claims.user,
      projectId: claims.project,
      domainId: claims.domain,
      roles: names,
      isAdmin: names.includes('admin'),
      ...(applicationCredential ? { applicationCredential } : {}),
      ...(applicationCredential && applicationCredential.access_rules !== '[]'
        ? { accessRules: JSON.parse(applicationCredential.access_rules) as AccessRule[] }
        : {}),
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
    const credential = await this.applicationCredential(claims, () => notFound('token', token));
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
    if (credential) {
      const rules = JSON.parse(credential.access_rules) as unknown[];
      body.application_credential = {
        id: credential.id,
        name: credential.name,
        restricted: !isEnabled(credential.unrestricted),
        ...(rules.length ? { access_rules: rules } : {}),
      };
    }
    if (claims.project || claims.domain) {
      body.roles = (await this.roles(claims, credential)).map((r) => ({ id: r.id, name: r.name }));
      if (withCatalog) body.catalog = await this.catalog.render(claims.project, claims.user);
    }
    return this.bodies.set(key, JSON.stringify({ token: body }));
  }

  /** The token's application credential; one deleted or expired since refuses the token. */
  private async applicationCredential(claims: TokenClaims, refuse: () => Error): Promise<ApplicationCredentialRow | undefined> {
    if (!claims.appCred) return undefined;
    const credential = await this.directory.applicationCredential(claims.appCred);
    if (!credential || (credential.expires_at && new Date(credential.expires_at).getTime() <= this.clock.now())) throw refuse();
    return credential;
  }

  /** The roles a token carries: the user's effective roles on its scope, only those its application credential delegates. */
  private async roles(claims: TokenClaims, credential?: ApplicationCredentialRow) {
    const held = claims.project
      ? await this.directory.effectiveRoles(claims.user, { type: 'project', id: claims.project })
      : claims.domain
        ? await this.directory.effectiveRoles(claims.user, { type: 'domain', id: claims.domain })
        : [];
    if (!credential) return held;
    const delegated = new Set(JSON.parse(credential.roles) as string[]);
    return held.filter((r) => delegated.has(r.id));
  }
}
