import type { ImageTaskRow } from '../../models/index.js';
import { iso } from './views.js';

// A task as Glance's tasks API shows it (tasks.py ResponseSerializer), and as /v2/images/{id}/tasks lists it (the
// database's own fields, times in Python's isoformat).

const parsed = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
const pythonTime = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString().replace(/Z$/, '000'));

export function taskStub(t: ImageTaskRow) {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    owner: t.owner,
    ...(t.expires_at ? { expires_at: iso(t.expires_at) } : {}),
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
    self: `/v2/tasks/${t.id}`,
    schema: '/v2/schemas/task',
  };
}

export function taskView(t: ImageTaskRow) {
  return {
    id: t.id,
    input: parsed(t.input),
    type: t.type,
    status: t.status,
    owner: t.owner,
    message: t.message,
    result: parsed(t.result),
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
    self: `/v2/tasks/${t.id}`,
    schema: '/v2/schemas/task',
    ...(t.image_id ? { image_id: t.image_id } : {}),
    ...(t.request_id ? { request_id: t.request_id } : {}),
    ...(t.user_id ? { user_id: t.user_id } : {}),
    ...(t.expires_at ? { expires_at: iso(t.expires_at) } : {}),
  };
}

/** A row of `GET /v2/images/{id}/tasks`. */
export function imageTaskView(t: ImageTaskRow) {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    owner: t.owner,
    expires_at: pythonTime(t.expires_at),
    created_at: pythonTime(t.created_at),
    updated_at: pythonTime(t.updated_at),
    deleted_at: null,
    deleted: false,
    image_id: t.image_id,
    request_id: t.request_id,
    user_id: t.user_id,
    input: parsed(t.input),
    result: parsed(t.result),
    message: t.message,
  };
}
