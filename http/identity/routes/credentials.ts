import Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import type { Ec2CredentialRow } from '../../../models/index.js';
import { readRow, readRows } from '../../../models/typed.js';
import { notFound } from '../errors.js';
import { requireAdminOrSelf } from '../policy.js';
import { Ec2Create, body } from '../schemas.js';
import { authenticate, limited, type IdentityServices, type IdentityState } from '../services.js';

/** `/v3/users/{id}/credentials/OS-EC2`: EC2 access keys for the EC2 API. */
export function credentialRoutes(s: IdentityServices): Router<IdentityState> {
  const router = new Router<IdentityState>({ prefix: '/v3/users/:user/credentials/OS-EC2' });
  const { Ec2Credential } = s.models;
  const view = (row: Ec2CredentialRow) => ({
    user_id: row.user_id,
    tenant_id: row.project_id,
    access: row.access,
    secret: s.secrets.open(row.secret_encrypted),
    trust_id: null,
    links: { self: `${s.v3Url()}/users/${row.user_id}/credentials/OS-EC2/${row.access}` },
  });
  const owner = async (ctx: { params: Record<string, string>; get(h: string): string }) => {
    const auth = await authenticate(s, ctx);
    requireAdminOrSelf(auth, ctx.params.user);
    if (!(await s.directory.user(ctx.params.user))) throw notFound('user', ctx.params.user);
  };

  router.post('/', async (ctx) => {
    await owner(ctx);
    const { tenant_id: projectId } = await body(ctx, Ec2Create);
    if (!(await s.directory.project(projectId))) throw notFound('project', projectId);
    const row: Ec2CredentialRow = {
      access: randomBytes(16).toString('hex'),
      user_id: ctx.params.user,
      project_id: projectId,
      secret_encrypted: s.secrets.seal(randomBytes(16).toString('hex')),
      created_at: new Date(s.clock.now()),
    };
    await Ec2Credential.create(row);
    ctx.status = 201;
    ctx.body = { credential: view(row) };
  });

  router.get('/', async (ctx) => {
    await owner(ctx);
    const { rows, truncated } = await limited(s, (limit) =>
      readRows(Ec2Credential, {
        where: { user_id: ctx.params.user },
        order: [
          ['created_at', 'ASC'],
          ['access', 'ASC'],
        ],
        limit,
      }),
    );
    ctx.body = {
      credentials: rows.map(view),
      links: { self: `${s.v3Url()}/users/${ctx.params.user}/credentials/OS-EC2`, previous: null, next: null },
      ...(truncated ? { truncated: true } : {}),
    };
  });

  router.get('/:access', async (ctx) => {
    await owner(ctx);
    const row = await readRow(Ec2Credential, { where: { access: ctx.params.access, user_id: ctx.params.user } });
    if (!row) throw notFound('credential', ctx.params.access);
    ctx.body = { credential: view(row) };
  });

  router.delete('/:access', async (ctx) => {
    await owner(ctx);
    const removed = await Ec2Credential.destroy({ where: { access: ctx.params.access, user_id: ctx.params.user } });
    if (!removed) throw notFound('credential', ctx.params.access);
    ctx.status = 204;
  });
  return router;
}
