import Router from '@koa/router';
import type { Context } from 'koa';
import type { ImageMemberRow } from '../../../models/index.js';
import { authorize, requireOwner, type ImageAction } from '../access.js';
import { GlanceError } from '../errors.js';
import { iso } from '../views.js';
import { authenticate, findVisible, jsonBody, type ImageServices, type ImageState } from '../services.js';

const STATUSES = ['pending', 'accepted', 'rejected'];
const view = (m: ImageMemberRow) => ({
  image_id: m.image_id,
  member_id: m.member,
  status: m.status,
  created_at: iso(m.created_at),
  updated_at: iso(m.updated_at),
  schema: '/v2/schemas/member',
});

/**
 * `/v2/images/{id}/members`: the owner shares an image with projects; each member project
 * accepts or rejects it, which decides whether it shows in that project's default list.
 */
export function memberRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>({ prefix: '/v2/images/:id/members' });
  const { ImageMember } = s.repo.models;

  const load = async (ctx: { params: Record<string, string>; get(h: string): string; method: string; path: string }, action: ImageAction) => {
    const auth = await authenticate(s, ctx);
    const found = await findVisible(s, auth, ctx.params.id);
    authorize(auth, action);
    return { auth, ...found, owner: auth.isAdmin || found.image.row.owner === auth.projectId };
  };
  const status = async (ctx: Context) => (await jsonBody(ctx)) as Record<string, unknown> | undefined;

  router.get('/', async (ctx) => {
    const { members, mine, owner } = await load(ctx, 'get_members');
    ctx.body = { members: (owner ? members : mine ? [mine] : []).map(view), schema: '/v2/schemas/members' };
  });

  router.post('/', async (ctx) => {
    const { auth, image, members } = await load(ctx, 'add_member');
    requireOwner(auth, image.row);
    const body = await status(ctx);
    const member = body?.member;
    if (typeof member !== 'string' || !member) throw new GlanceError(400, 'Member to be added not specified');
    if (image.row.visibility !== 'shared') throw new GlanceError(403, `Only shared images have members.`);
    if (members.some((m) => m.member === member)) throw new GlanceError(409, `Member ${member} already associated with image ${image.row.id}.`);
    const now = new Date(s.clock.now());
    const row: ImageMemberRow = { image_id: image.row.id, member, status: 'pending', created_at: now, updated_at: now };
    await ImageMember.create(row);
    ctx.body = view(row);
  });

  router.get('/:member', async (ctx) => {
    const { members, owner, auth } = await load(ctx, 'get_member');
    const m = members.find((x) => x.member === ctx.params.member);
    if (!m || (!owner && m.member !== auth.projectId)) throw new GlanceError(404, `${ctx.params.member} is not a member of image ${ctx.params.id}`);
    ctx.body = view(m);
  });

  router.put('/:member', async (ctx) => {
    const { auth, members } = await load(ctx, 'modify_member');
    const m = members.find((x) => x.member === ctx.params.member);
    if (!m) throw new GlanceError(404, `${ctx.params.member} is not a member of image ${ctx.params.id}`);
    // Only the member decides whether it takes an image the owner shared with it.
    if (m.member !== auth.projectId) throw new GlanceError(403, 'Only the member may change its status.');
    const next = (await status(ctx))?.status;
    if (typeof next !== 'string' || !STATUSES.includes(next)) throw new GlanceError(400, `Status must be one of ${STATUSES.join(', ')}`);
    const updated = { ...m, status: next, updated_at: new Date(s.clock.now()) };
    await ImageMember.update({ status: next, updated_at: updated.updated_at }, { where: { image_id: m.image_id, member: m.member } });
    ctx.body = view(updated);
  });

  router.delete('/:member', async (ctx) => {
    const { auth, image, members } = await load(ctx, 'delete_member');
    requireOwner(auth, image.row);
    if (!members.some((x) => x.member === ctx.params.member))
      throw new GlanceError(404, `${ctx.params.member} is not a member of image ${ctx.params.id}`);
    await ImageMember.destroy({ where: { image_id: image.row.id, member: ctx.params.member } });
    ctx.status = 204;
  });
  return router;
}
