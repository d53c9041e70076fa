import { defineKind } from '../../runtime/kind.js';
import { schedulerBehaviour } from './behaviour.js';
import { schedulerProtocol } from './protocol.js';
import type { SchedulerRow } from './state.js';

export { schedulerProtocol, schedulerBehaviour };
export type { SchedulerRow } from './state.js';

export const schedulerKind = defineKind<SchedulerRow, typeof schedulerProtocol.spec>({
  kind: 'scheduler',
  protocol: schedulerProtocol,
  behaviour: schedulerBehaviour,
  model: 'Scheduler',
  key: 'name',
  // A scheduler takes every placement request; it stays active rather than reload per request.
  passivates: false,
  // A scheduler has no entity state to mark: the actor record alone says it failed.
  onFailed: () => undefined,
  summary: (s) => ({ decisions: s?.decisions ?? 0 }),
});
