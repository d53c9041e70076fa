import { defineKind } from '../../runtime/kind.js';
import { DEFAULT_INSTANCE_TIMEOUTS, instanceBehaviour, instanceBehaviourWith, type InstanceTimeouts } from './behaviour.js';
import { instanceProtocol } from './protocol.js';
import { failed, type InstanceRow } from './state.js';
import { ACTION_MODELS } from './actions.js';

export { instanceProtocol, instanceBehaviour, DEFAULT_INSTANCE_TIMEOUTS, type InstanceTimeouts };
export { hostnameFrom, type InstanceRow } from './state.js';

/** The instance kind with its sagas' timeouts (`timeouts.buildMs`, `timeouts.actionMs`). */
export const instanceKindWith = (timeouts: InstanceTimeouts) =>
  defineKind<InstanceRow, typeof instanceProtocol.spec>({
    kind: 'instance',
    protocol: instanceProtocol,
    behaviour: timeouts === DEFAULT_INSTANCE_TIMEOUTS ? instanceBehaviour : instanceBehaviourWith(timeouts),
    model: 'Instance',
    key: 'uuid',
    shared: [
      'project_id',
      'user_id',
      'vm_state',
      'task_state',
      'host',
      'node',
      'availability_zone',
      'flavor_id',
      'image_ref',
      'key_name',
      'metadata',
      'tags',
      'security_groups',
      'config_drive',
      'flavor_extra_specs',
      'root_device_name',
    ],
    // What was done to each server, written with the state change it describes.
    records: [...ACTION_MODELS, 'Migration'],
    placement: { movable: true, roles: ['scheduler', 'compute'] },
    passivates: true,
    // A server whose actor keeps crashing goes to ERROR with a fault, as Nova shows a failed build;
    // a deleted one stays deleted rather than reappearing in error.
    onFailed: (state, reason, now) => (state && !state.deleted_at ? failed(state, reason, now) : undefined),
    summary: (s) => (s ? { vm_state: s.vm_state, task_state: s.task_state, power_state: s.power_state, host: s.host } : {}),
  });

export const instanceKind = instanceKindWith(DEFAULT_INSTANCE_TIMEOUTS);
