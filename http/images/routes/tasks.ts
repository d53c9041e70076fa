import Router from '@koa/router';
import { Op, type WhereOptions } from 'sequelize';
import { readRow, readRows } from '../../../models/typed.js';
import type { AuthContext } from '../../identity/index.js';
import { GlanceError } from '../errors.js';
import { LIMIT_DEFAULT, LIMIT_MAX } from '../image-list.js';
import { authenticate, type ImageServices, type ImageState } from '../services.js';
import { taskStub, taskView } from '../task-views.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const STATUSES = ['pending', 'processing', 'success', 'failure'];

/** Glance's tasks_api_access: the tasks API is the admin's (the image's own tasks list at /v2/images/{id}/tasks). */
function requireTasksAccess(auth: AuthContext): void {
  if (!auth.isAdmin) throw new GlanceError(403, 'You are not authorized to complete tasks_api_access action.');
}

/** `/v2/tasks`: list and show, as Glance answers them; tasks are made by imports only (Glance's POST is deprecated). */
export function taskRoutes(s: ImageServices): Router<ImageState> {
  const router = new Router<ImageState>({ prefix: '/v2/tasks' });
  const live = (): WhereOptions => ({ [Op.or]: [{ expires_at: null }, { expires_at: { [Op.gte]: new Date(s.clock.now()) } }] });

  router.get('/', async (ctx) => {
    const auth = await authenticate(s, ctx);
    requireTasksAccess(auth);
    const q = ctx.query;
    const one = (name: string) => {
      const v = q[name];
      return Array.isArray(v) ? v.at(-1) : v;
    };
    const where: WhereOptions[] = [live()];
    const status = one('status');
    if (status) {
      if (!STATUSES.includes(status)) throw new GlanceError(400, `Invalid status value: ${status}`);
      where.push({ status });
    }
    const type = one('type');
    if (type) {
      // Glance takes only the legacy type here.
      if (type !== 'import') throw new GlanceError(400, `Invalid type value: ${type}`);
      where.push({ type });
    }
    const sortDir = one('sort_dir') ?? 'desc';
    if (sortDir !== 'asc' && sortDir !== 'desc') throw new GlanceError(400, `Invalid sort direction: ${sortDir}`);
    const sortKey = one('sort_key') ?? 'created_at';
    if (!['id', 'type', 'status', 'created_at', 'updated_at'].includes(sortKey)) throw new GlanceError(400, `Invalid sort key: ${sortKey}`);
    const rawLimit = one('limit');
    let limit = LIMIT_DEFAULT;
    if (rawLimit !== undefined) {
      if (!/^[+-]?\d+$/.test(rawLimit.trim())) throw new GlanceError(400, 'limit param must be an integer');
      if (Number(rawLimit) < 0) throw new GlanceError(400, 'limit param must be positive');
      limit = Math.min(Number(rawLimit), LIMIT_MAX);
    }
    const marker = one('marker');
    const dir = sortDir === 'asc' ? Op.gt : Op.lt;
    if (marker) {
      if (!UUID.test(marker)) throw new GlanceError(400, 'Invalid marker format');
      const at = await readRow(s.repo.models.ImageTask, { where: { id: marker } });
      if (!at) throw new GlanceError(400, `Task with identifier ${marker} not found`);
      const value = (at as unknown as Record<string, unknown>)[sortKey];
      where.push({ [Op.or]: [{ [sortKey]: { [dir]: value } }, { [sortKey]: value, id: { [dir]: at.id } }] });
    }
    const tasks = await readRows(s.repo.models.ImageTask, {
      where: { [Op.and]: where },
      order: [
        [sortKey, sortDir.toUpperCase()],
        ['id', sortDir.toUpperCase()],
      ],
      limit,
    });
    const params = new URLSearchParams(ctx.querystring);
    params.delete('marker');
    const query = params.toString();
    const body: Record<string, unknown> = {
      tasks: tasks.map(taskStub),
      first: query ? `/v2/tasks?${query}` : '/v2/tasks',
      schema: '/v2/schemas/tasks',
    };
    if (tasks.length && tasks.length === limit) {
      params.set('marker', tasks[tasks.length - 1].id);
      body.next = `/v2/tasks?${params.toString()}`;
    }
    ctx.body = body;
  });

  router.get('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    requireTasksAccess(auth);
    const task = await readRow(s.repo.models.ImageTask, { where: { [Op.and]: [{ id: ctx.params.id }, live()] } });
    if (!task) throw new GlanceError(404, `Task with identifier ${ctx.params.id} not found`);
    ctx.body = taskView(task);
  });

  router.delete('/:id', async (ctx) => {
    const auth = await authenticate(s, ctx);
    requireTasksAccess(auth);
    ctx.set('Allow', 'GET');
    throw new GlanceError(
      405,
      'This operation is currently not permitted on Glance Tasks. They are auto deleted after reaching the time based on their expires_at property.',
    );
  });
  return router;
}
