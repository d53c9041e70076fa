import type { Microversion } from '../microversion.js';
import { multiParams, type Schema } from '../json-schema.js';

// Nova 26.0.0's request schemas for the small APIs: assisted_volume_snapshots.py,
// server_external_events.py, reset_server_state.py, admin_password.py, servers.py trigger_crash_dump.

export const snapshotCreate: Schema = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        volume_id: { type: 'string', minLength: 1 },
        create_info: {
          type: 'object',
          properties: {
            snapshot_id: { type: 'string', minLength: 1 },
            type: { type: 'string', enum: ['qcow2'] },
            new_file: { type: 'string', minLength: 1 },
            id: { type: 'string', minLength: 1 },
          },
          required: ['snapshot_id', 'type', 'new_file'],
          additionalProperties: false,
        },
      },
      required: ['volume_id', 'create_info'],
      additionalProperties: false,
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
};

/** Extra query parameters were dropped silently before 2.75 and are refused from it. */
export const snapshotDeleteQuery = (v: Microversion): Schema => ({
  type: 'object',
  properties: { delete_info: multiParams({ type: 'string' }) },
  additionalProperties: !v.atLeast('2.75'),
});

/** The event names each version accepts (create, create_v251, _v276, _v282, _v293). */
function eventNames(v: Microversion): string[] {
  const names = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];
  if (v.atLeast('2.51')) names.push('volume-extended');
  if (v.atLeast('2.76')) names.push('power-update');
  if (v.atLeast('2.82')) names.push('accelerator-request-bound');
  if (v.atLeast('2.93')) names.push('volume-reimaged');
  return names;
}

/** Events whose tag Nova requires (server_external_events.TAG_REQUIRED); without one the event is refused (400 in the body). */
export const TAG_REQUIRED: readonly string[] = ['volume-extended', 'power-update', 'accelerator-request-bound'];

export const externalEvents = (v: Microversion): Schema => ({
  type: 'object',
  properties: {
    events: {
      type: 'array',
      minItems: 1,
      // Nova's schema sets no bound; the request body's size limit does. This keeps one request's work bounded.
      maxItems: 1000,
      items: {
        type: 'object',
        properties: {
          server_uuid: { type: 'string', format: 'uuid' },
          name: { type: 'string', enum: eventNames(v) },
          status: { type: 'string', enum: ['failed', 'completed', 'in-progress'] },
          tag: { type: 'string', maxLength: 255 },
        },
        required: ['server_uuid', 'name'],
        additionalProperties: false,
      },
    },
  },
  required: ['events'],
  additionalProperties: false,
});

export const resetState: Schema = {
  type: 'object',
  properties: {
    'os-resetState': {
      type: 'object',
      properties: { state: { type: 'string', enum: ['active', 'error'] } },
      required: ['state'],
      additionalProperties: false,
    },
  },
  required: ['os-resetState'],
  additionalProperties: false,
};

export const changePassword: Schema = {
  type: 'object',
  properties: {
    changePassword: {
      type: 'object',
      properties: { adminPass: { type: 'string' } },
      required: ['adminPass'],
      additionalProperties: false,
    },
  },
  required: ['changePassword'],
  additionalProperties: false,
};

export const triggerCrashDump: Schema = {
  type: 'object',
  properties: { trigger_crash_dump: { type: 'null' } },
  required: ['trigger_crash_dump'],
  additionalProperties: false,
};
