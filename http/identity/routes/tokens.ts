import Router from '@koa/router';
import type { Context } from 'koa';
import type { ApplicationCredentialRow, ProjectRow, UserRow } from '../../../models/index.js';
import { readRow } from '../../../models/typed.js';
import { badRequest, forbidden, forbiddenAction, unauthorized } from '../errors.js';
import { AuthRequest, body } from '../schemas.js';
import { authenticate, type IdentityServices, type IdentityState } from '../services.js';
import { domainView, isEnabled, list, projectView } from '../views.js';

type Scope = { project?: string; domain?: string };

/** `/v3/auth/*`: issuing, validating and revoking tokens, and what a token may reach. */
export function tokenRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3/auth' });
  const withCatalog = (ctx: Context) => ctx.query.nocatalog === undefined;

  router.post('/tokens', async (ctx) => {
    const { identity, scope } = (await body(ctx, AuthRequest)).auth;
    let user: UserRow;
    let methods: string[];
    let chain: string | undefined;
    let expiresAt: number | undefined;
    let credential: ApplicationCredentialRow | undefined;
    if (identity.methods.includes('password')) {
      const given = identity.password?.user;
      if (!given) throw badRequest("Invalid input for field 'password': required by the password method");
      const found = given.id ? await s.directory.user(given.id) : await findUser(s, given.name, given.domain);
      // Every refusal derives one key, found user or not: see verifyPassword.
      if (!(await s.verifyPassword(given.password, found?.password_hash)) || !found) throw unauthorized();
      user = found;
      methods = ['password'];
    } else if (identity.methods.includes('token')) {
      const claims = s.tokens.validate(identity.token?.id);
      const found = await s.directory.user(claims.user);
      if (!found) throw unauthorized();
      user = found;
      methods = [...new Set([...claims.methods, 'token'])];
      chain = claims.audit;
      expiresAt = claims.expiresAt;
      if (claims.appCred) {
        // A token from an application credential stays one: same credential, same project.
        if (scope !== undefined) throw forbiddenAction('Using an application credential token to create a scoped token is not allowed.');
        credential = await s.directory.applicationCredential(claims.appCred);
        if (!credential) throw unauthorized();
      }
    } else if (identity.methods.includes('application_credential')) {
      const given = identity.application_credential;
      if (!given) throw badRequest("Invalid input for field 'application_credential': required by the application_credential method");
      if (scope !== undefined)
        throw unauthorized('Error authenticating with application credential: Application credentials cannot request a scope.');
      credential = await findApplicationCredential(s, given);
      // As with passwords, every refusal derives one key: see verifyPassword.
      const verified = await s.verifyPassword(given.secret, credential?.secret_hash);
      const found = credential && (await s.directory.user(credential.user_id));
      if (!verified || !credential || !found || expired(s, credential)) throw unauthorized();
      user = found;
      methods = ['application_credential'];
      if (credential.expires_at) expiresAt = new Date(credential.expires_at).getTime();
    } else {
      throw unauthorized('Attempted to authenticate with an unsupported method.');
    }
    const domain = await s.directory.domain(user.domain_id);
    if (!isEnabled(user.enabled) || !domain || !isEnabled(domain.enabled)) throw unauthorized();

    const target = credential ? await credentialScope(s, credential) : await resolveScope(s, user, scope, methods.includes('password'));
    const { token, claims } = s.tokens.issue({
      user: user.id,
      methods,
      ...target,
      ...(chain ? { chain } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      ...(credential ? { appCred: credential.id } : {}),
    });
    ctx.status = 201;
    ctx.set('X-Subject-Token', token);
    ctx.type = 'json';
    ctx.body = await s.tokens.render(token, claims, withCatalog(ctx));
  });

  const subject = async (ctx: Context & { state: IdentityState }) => {
    const auth = await authenticate(s, ctx);
    const token = ctx.get('x-subject-token');
    const claims = s.tokens.validate(token, true);
    // Anyone may check their own token; checking others' takes the admin role.
    if (!auth.isAdmin && claims.user !== auth.userId) throw forbidden();
    return { token, claims };
  };

  router.get('/tokens', async (ctx) => {
    const { token, claims } = await subject(ctx);
    ctx.set('X-Subject-Token', token);
    ctx.type = 'json';
    ctx.body = await s.tokens.render(token, claims, withCatalog(ctx));
  });
  router.head('/tokens', async (ctx) => {
    const { token } = await subject(ctx);
    ctx.set('X-Subject-Token', token);
    ctx.status = 200;
  });
  router.delete('/tokens', async (ctx) => {
    const { claims } = await subject(ctx);
    await s.tokens.revocations.revoke({ audit: claims.audit, issuedBefore: s.clock.now() });
    ctx.status = 204;
  });

  router.get('/projects', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const projects = (await s.directory.projectsOf(auth.userId)).filter((p) => isEnabled(p.enabled));
    ctx.body = list(
      s.v3Url(),
      'auth/projects',
      'projects',
      projects.map((p) => projectView(s.v3Url(), p)),
    );
  });
  router.get('/domains', async (ctx) => {
    const auth = await authenticate(s, ctx);
    const domains = (await s.directory.domainsOf(auth.userId)).filter((d) => isEnabled(d.enabled));
    ctx.body = list(
      s.v3Url(),
      'auth/domains',
      'domains',
      domains.map((d) => domainView(s.v3Url(), d)),
    );
  });
  router.get('/catalog', async (ctx) => {
    const auth = await authenticate(s, ctx);
    if (!auth.projectId && !auth.domainId) throw forbidden('The service catalog is only available to scoped tokens.');
    ctx.body = {
      catalog: await s.catalog.render(auth.projectId, auth.userId),
      links: { self: `${s.v3Url()}/auth/catalog`, previous: null, next: null },
    };
  });
  return router;
}

/** A domain given by id or by name, as auth requests give them. */
const domainIdOf = async (s: IdentityServices, domain: { id?: string; name?: string }) =>
  domain.id ?? (domain.name ? (await s.directory.domainByName(domain.name))?.id : undefined);

async function findUser(s: IdentityServices, name: string | undefined, domain: { id?: string; name?: string } | undefined) {
  if (!name || !domain) return undefined;
  const domainId = await domainIdOf(s, domain);
  return domainId ? s.directory.userByName(name, domainId) : undefined;
}

/** The project or domain a token is for; with no scope, the user's default project if they may use it. */
async function resolveScope(s: IdentityServices, user: UserRow, scope: unknown, password: boolean): Promise<Scope> {
  if (scope === undefined || scope === 'unscoped') {
    if (scope === undefined && password && user.default_project_id) {
      const project = await s.directory.project(user.default_project_id);
      if (project && isEnabled(project.enabled) && (await s.directory.effectiveRoles(user.id, { type: 'project', id: project.id })).length) {
        return { project: project.id };
      }
    }
    return {};
  }
  const requested = scope as {
    project?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
    domain?: { id?: string; name?: string };
    system?: unknown;
  };
  if (requested.project) {
    let project: ProjectRow | undefined;
    if (requested.project.id) project = await s.directory.project(requested.project.id);
    else if (requested.project.name && requested.project.domain) {
      const domainId = await domainIdOf(s, requested.project.domain);
      if (domainId) project = await s.directory.projectByName(requested.project.name, domainId);
    } else throw badRequest("Invalid input for field 'project': an id, or a name and a domain, is required");
    const projectDomain = project && (await s.directory.domain(project.domain_id));
    if (!project || !isEnabled(project.enabled) || !projectDomain || !isEnabled(projectDomain.enabled)) throw unauthorized();
    if (!(await s.directory.effectiveRoles(user.id, { type: 'project', id: project.id })).length) {
      throw unauthorized(`User ${user.id} has no access to project ${project.id}`);
    }
    return { project: project.id };
  }
  if (requested.domain) {
    const domainId = await domainIdOf(s, requested.domain);
    const domain = domainId ? await s.directory.domain(domainId) : undefined;
    if (!domain || !isEnabled(domain.enabled)) throw unauthorized();
    if (!(await s.directory.effectiveRoles(user.id, { type: 'domain', id: domain.id })).length) {
      throw unauthorized(`User ${user.id} has no access to domain ${domain.id}`);
    }
    return { domain: domain.id };
  }
  throw unauthorized('System-scoped tokens are not offered by this cloud.');
}

const expired = (s: IdentityServices, c: ApplicationCredentialRow) => c.expires_at !== null && new Date(c.expires_at).getTime() <= s.clock.now();

/** An application credential named by id, or by name and its user (by id, or by name and domain). */
async function findApplicationCredential(
  s: IdentityServices,
  given: { id?: string; name?: string; user?: { id?: string; name?: string; domain?: { id?: string; name?: string } } },
): Promise<ApplicationCredentialRow | undefined> {
  if (given.id) return s.directory.applicationCredential(given.id);
  if (!given.name || !given.user) {
    throw badRequest(
      'Expecting to find id or name in application credential. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
    );
  }
  const owner = given.user.id ? await s.directory.user(given.user.id) : await findUser(s, given.user.name, given.user.domain);
  if (!owner) return undefined;
  return (await readRow(s.models.ApplicationCredential, { where: { user_id: owner.id, name: given.name } })) ?? undefined;
}

/** An application credential's token is for its project, which must still be usable, with a role it delegates still held. */
async function credentialScope(s: IdentityServices, credential: ApplicationCredentialRow): Promise<Scope> {
  const project = await s.directory.project(credential.project_id);
  const domain = project && (await s.directory.domain(project.domain_id));
  if (!project || !isEnabled(project.enabled) || !domain || !isEnabled(domain.enabled)) throw unauthorized();
  const delegated = new Set(JSON.parse(credential.roles) as string[]);
  const held = await s.directory.effectiveRoles(credential.user_id, { type: 'project', id: project.id });
  if (!held.some((r) => delegated.has(r.id))) throw unauthorized(`User ${credential.user_id} has no access to project ${project.id}`);
  return { project: project.id };
}
