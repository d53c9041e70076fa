import Router from '@koa/router';
import { Op, UniqueConstraintError } from 'sequelize';
import type { KeyPairRow } from '../../../models/index.js';
import { badRequest, forbidden, NovaFault, notFound } from '../errors.js';
import { checkBody, checkQuery } from '../json-schema.js';
import { generateSshKeyPair, generateX509KeyPair, InvalidKeypair, sshFingerprint, x509Fingerprint } from '../keypair-crypto.js';
import { keypairCreate, keypairQuery } from '../keypair-request.js';
import { findKeyPair } from '../keypair-store.js';
import { collectionLinks, limitOf, markerOf, MAX_LIMIT } from '../pagination.js';
import { quotasOf } from '../../../services/compute/quotas.js';
import { isoMicros, requestBody, type ComputeContext, type ComputeServices, type ComputeState } from '../services.js';
import { readRows } from '../../../models/typed.js';

const POLICY = 'os_compute_api:os-keypairs';

const keypairNotFound = (name: string, userId: string) => notFound(`Keypair ${name} not found for user ${userId}`);

/**
 * Whose key pairs a request is about: the caller's own, or from 2.10 another user's named by
 * `user_id` (body or query), which takes an admin. Nova's rule is `admin or user_id:%(user_id)s`:
 * any role may keep its own key pairs.
 */
function ownerOf(ctx: ComputeContext, rule: string, asked: string | undefined): string {
  const own = ctx.state.auth.userId;
  const userId = ctx.state.version.atLeast('2.10') && asked !== undefined && asked !== '' ? asked : own;
  if (userId !== own && !ctx.state.auth.isAdmin) throw forbidden(`${POLICY}:${rule}`);
  return userId;
}

const queryUser = (ctx: ComputeContext) => {
  const v = ctx.query.user_id;
  return Array.isArray(v) ? v[0] : v;
};

// The fields each view shows (nova/api/openstack/compute/views/keypairs.py); `type` from 2.2.
const listView = (k: KeyPairRow, typed: boolean) => ({
  name: k.name,
  public_key: k.public_key,
  fingerprint: k.fingerprint,
  ...(typed ? { type: k.type } : {}),
});
const showView = (k: KeyPairRow, typed: boolean) => ({
  ...listView(k, typed),
  user_id: k.user_id,
  created_at: isoMicros(k.created_at),
  deleted: false,
  deleted_at: null,
  id: k.id,
  updated_at: isoMicros(k.updated_at),
});

/** Key pairs (`/os-keypairs`): a user's own, generated or imported, listed, shown and deleted. */
export function keypairRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>({ prefix: '/os-keypairs' });

  router.get('/', async (ctx) => {
    const v = ctx.state.version;
    checkQuery(keypairQuery(v, true), ctx.query);
    const userId = ownerOf(ctx, 'index', queryUser(ctx));
    const paged = v.atLeast('2.35');
    const where: Record<string | symbol, unknown> = { user_id: userId };
    const marker = paged ? markerOf(ctx) : undefined;
    // Before 2.35 Nova lists every key pair; a page of max_limit bounds what one request reads (the quota bounds it for members).
    const limit = paged ? limitOf(ctx) : MAX_LIMIT;
    if (marker !== undefined) {
      if (!(await findKeyPair(s, userId, marker))) throw badRequest(`Marker ${marker} could not be found.`);
      where.name = { [Op.gt]: marker };
    }
    const rows = await readRows(s.models.KeyPair, { where, order: [['name', 'ASC']], limit });
    const links = paged
      ? collectionLinks(
          s,
          ctx,
          'os-keypairs',
          rows.map((k) => k.name),
        )
      : [];
    ctx.body = { keypairs: rows.map((k) => ({ keypair: listView(k, v.atLeast('2.2')) })), ...(links.length ? { keypairs_links: links } : {}) };
  });

  router.post('/', async (ctx) => {
    const v = ctx.state.version;
    const body = await requestBody(ctx);
    checkBody(keypairCreate(v), body ?? null);
    const params = (body as { keypair: Record<string, string | undefined> }).keypair;
    const userId = ownerOf(ctx, 'create', params.user_id);
    const name = params.name!.trim();
    const type = params.type ?? 'ssh';
    const quota = (await quotasOf(s, ctx.state.project, userId)).key_pairs;
    if (quota >= 0 && (await s.models.KeyPair.count({ where: { user_id: userId } })) + 1 > quota) {
      throw new NovaFault(403, 'Quota exceeded, too many key pairs.');
    }
    let publicKey: string;
    let fingerprint: string;
    let privateKey: string | undefined;
    try {
      if (params.public_key !== undefined) {
        publicKey = params.public_key;
        fingerprint = type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
      } else {
        // Below 2.92 only: from then on the schema requires public_key.
        const generated = type === 'x509' ? await generateX509KeyPair(userId) : await generateSshKeyPair();
        ({ publicKey, fingerprint, privateKey } = generated);
      }
    } catch (error) {
      if (error instanceof InvalidKeypair) throw badRequest(`Keypair data is invalid: ${error.message}`);
      throw error;
    }
    const now = new Date(s.clock.now());
    try {
      await s.models.KeyPair.create({ user_id: userId, name, fingerprint, public_key: publicKey, type, created_at: now, updated_at: null });
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw new NovaFault(409, `Key pair '${name}' already exists.`);
      throw error;
    }
    ctx.status = v.atLeast('2.2') ? 201 : 200;
    ctx.body = {
      keypair: {
        ...(privateKey !== undefined ? { private_key: privateKey } : {}),
        ...(v.atLeast('2.2') ? { type } : {}),
        name,
        public_key: publicKey,
        fingerprint,
        user_id: userId,
      },
    };
  });

  router.get('/:name', async (ctx) => {
    const v = ctx.state.version;
    checkQuery(keypairQuery(v, false), ctx.query);
    const userId = ownerOf(ctx, 'show', queryUser(ctx));
    const keypair = await findKeyPair(s, userId, ctx.params.name);
    if (!keypair) throw keypairNotFound(ctx.params.name, userId);
    ctx.body = { keypair: showView(keypair, v.atLeast('2.2')) };
  });

  router.delete('/:name', async (ctx) => {
    const v = ctx.state.version;
    checkQuery(keypairQuery(v, false), ctx.query);
    const userId = ownerOf(ctx, 'delete', queryUser(ctx));
    const removed = await s.models.KeyPair.destroy({ where: { user_id: userId, name: ctx.params.name } });
    if (!removed) throw keypairNotFound(ctx.params.name, userId);
    ctx.status = v.atLeast('2.2') ? 204 : 202;
    ctx.body = '';
  });

  return router;
}
