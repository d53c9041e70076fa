import Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import { UniqueConstraintError } from 'sequelize';
import type { ApplicationCredentialRow } from '../../../models/index.js';
import { readRow, readRows } from '../../../models/typed.js';
import { KeystoneError, badRequest, conflict, forbidden, forbiddenAction, notFound } from '../errors.js';
import { hashPassword } from '../passwords.js';
import { requireAdminOrSelf } from '../policy.js';
import { ApplicationCredentialCreate, body } from '../schemas.js';
import { authenticate, limited, listWhere, newId, type IdentityServices, type IdentityState } from '../services.js';
import type { AuthContext } from '../tokens.js';
import { isEnabled, list } from '../views.js';

const invalid = (detail: string) => badRequest(`Invalid application credential: ${detail}`);
const iso = (d: Date | null) => (d ? new Date(d).toISOString().replace(/\.(\d{3})Z$/, '.$1000') : null);

/**
 * `/v3/users/{id}/application_credentials`: a user delegates some of their roles on the token's project to a
 * secret an application holds. Only the user creates them (not with a restricted one's token); the user or an
 * admin lists, reads and deletes them.
 */
export function applicationCredentialRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3/users/:user/application_credentials' });
  const { ApplicationCredential } = s.models;
  const base = () => s.v3Url();
  const view = async (row: ApplicationCredentialRow) => {
    const { byId } = await s.directory.roles();
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      user_id: row.user_id,
      project_id: row.project_id,
      system: null,
      expires_at: iso(row.expires_at),
      unrestricted: isEnabled(row.unrestricted),
      roles: (JSON.parse(row.roles) as string[]).flatMap((id) => {
        const role = byId.get(id);
        return role ? [{ id: role.id, name: role.name, domain_id: null }] : [];
      }),
      access_rules: JSON.parse(row.access_rules) as unknown[],
      links: { self: `${base()}/users/${row.user_id}/application_credentials/${row.id}` },
    };
  };
  const owner = async (ctx: { params: Record<string, string>; get(h: string): string }) => {
    const auth = await authenticate(s, ctx);
    requireAdminOrSelf(auth, ctx.params.user);
    if (!(await s.directory.user(ctx.params.user))) throw notFound('user', ctx.params.user);
    return auth;
  };
  const find = async (userId: string, id: string) => {
    const row = await readRow(ApplicationCredential, { where: { id, user_id: userId } });
    if (!row) throw new KeystoneError(404, `Could not find Application Credential: ${id}.`);
    return row;
  };

  router.post('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    refuseRestricted(auth);
    if (auth.userId !== ctx.params.user) throw forbiddenAction('Cannot create an application credential for another user.');
    if (!auth.projectId) throw forbidden('Application credentials are made with a project-scoped token.');
    const { application_credential: given } = await body(ctx, ApplicationCredentialCreate);
    const roles = await delegatedRoles(s, auth, given.roles);
    let expiresAt: Date | null = null;
    if (given.expires_at) {
      expiresAt = new Date(given.expires_at);
      if (Number.isNaN(expiresAt.getTime())) throw badRequest(`Invalid input for field 'expires_at': '${given.expires_at}' is not a date`);
      if (expiresAt.getTime() <= s.clock.now()) throw invalid('the expiration date has passed');
    }
    const secret = given.secret || randomBytes(64).toString('base64url');
    const row: ApplicationCredentialRow = {
      id: newId(),
      name: given.name,
      description: given.description ?? null,
      user_id: auth.userId,
      project_id: auth.projectId,
      secret_hash: await hashPassword(secret),
      expires_at: expiresAt,
      unrestricted: given.unrestricted ?? false,
      roles: JSON.stringify(roles),
      access_rules: JSON.stringify(
        (given.access_rules ?? []).map((r) => ({ id: r.id ?? newId(), service: r.service, path: r.path, method: r.method })),
      ),
      created_at: new Date(s.clock.now()),
    };
    try {
      await ApplicationCredential.create(row);
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw conflict('application_credential', `Duplicate entry found with name ${given.name}`);
      throw error;
    }
    ctx.status = 201;
    ctx.body = { application_credential: { ...(await view(row)), secret } };
  });

  router.get('/', async (ctx) => {
    await owner(ctx);
    const where = { ...listWhere(ctx.query, ['name'], false), user_id: ctx.params.user };
    const { rows, truncated } = await limited(s, (limit) =>
      readRows(ApplicationCredential, {
        where,
        order: [
          ['name', 'ASC'],
          ['id', 'ASC'],
        ],
        limit,
      }),
    );
    ctx.body = list(
      base(),
      `users/${ctx.params.user}/application_credentials`,
      'application_credentials',
      await Promise.all(rows.map(view)),
      truncated,
    );
  });

  router.get('/:id', async (ctx) => {
    await owner(ctx);
    ctx.body = { application_credential: await view(await find(ctx.params.user, ctx.params.id)) };
  });

  router.delete('/:id', async (ctx) => {
    const auth = await owner(ctx);
    refuseRestricted(auth);
    const row = await find(ctx.params.user, ctx.params.id);
    await ApplicationCredential.destroy({ where: { id: row.id } });
    // Tokens issued from it are refused from now on: validation finds it gone.
    s.directory.changed();
    ctx.status = 204;
  });
  return router;
}

/** A restricted application credential's token may not manage application credentials (Keystone's rule). */
function refuseRestricted(auth: AuthContext): void {
  if (auth.applicationCredential && !isEnabled(auth.applicationCredential.unrestricted)) {
    throw forbiddenAction("Using method 'application_credential' is not allowed for managing additional application credentials.");
  }
}

/**
 * The role ids a new credential delegates: those asked for (by id or name) with the roles they imply, each of which
 * the token must carry; with none asked for, all the token's roles.
 */
async function delegatedRoles(s: IdentityServices, auth: AuthContext, asked: Array<{ id?: string; name?: string }> | undefined): Promise<string[]> {
  const { byId } = await s.directory.roles();
  const byName = new Map([...byId.values()].map((r) => [r.name, r]));
  const held = new Set(auth.roles);
  if (!asked?.length) return [...byId.values()].filter((r) => held.has(r.name)).map((r) => r.id);
  const named = asked.map((r) => {
    const role = r.id ? byId.get(r.id) : r.name ? byName.get(r.name) : undefined;
    if (!role) throw notFound('role', r.id ?? r.name ?? '');
    return role.id;
  });
  const roles = await s.directory.expand(named);
  if (roles.some((r) => !held.has(r.name))) throw invalid('Cannot create an application credential with unassigned role');
  return roles.map((r) => r.id);
}
