import { defineKind } from '../../runtime/kind.js';
import { schedulerBehaviour, type SchedulerDeps } from './behaviour.js';
import { schedulerProtocol } from './protocol.js';
import type { SchedulerRow } from './state.js';

export { schedulerProtocol, schedulerBehaviour, type SchedulerDeps };
export { NO_VALID_HOST } from './behaviour.js';
export { Placement } from './protocol.js';
export type { Selection } from './behaviour.js';
export type { SchedulerRow } from './state.js';

export const schedulerKind = (deps: SchedulerDeps) =>
  defineKind<SchedulerRow, typeof schedulerProtocol.spec>({
    kind: 'scheduler',
    protocol: schedulerProtocol,
    behaviour: schedulerBehaviour(deps),
    model: 'Scheduler',
    key: 'name',
    // A scheduler takes every placement request; it stays active rather than reload per request.
    placement: { movable: true, roles: ['scheduler'] },
    passivates: false,
    // A scheduler has no entity state to mark: the actor record alone says it failed.
    onFailed: () => undefined,
    summary: (s) => ({ decisions: s?.decisions ?? 0 }),
  });
