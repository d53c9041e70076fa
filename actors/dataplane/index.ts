import { defineKind } from '../../runtime/kind.js';
import { dataPlaneBehaviour, type DataPlaneDeps, type ReconcileOutcome } from './behaviour.js';
import { dataPlaneProtocol } from './protocol.js';
import type { DataPlaneRow } from './state.js';

export { dataPlaneProtocol, dataPlaneBehaviour, type DataPlaneDeps, type ReconcileOutcome };
export type { DataPlaneRow } from './state.js';

/** One per node driving compute hosts, named after the node and pinned there: it programs that machine's kernel. */
export const dataPlaneKind = (deps: DataPlaneDeps) =>
  defineKind<DataPlaneRow, typeof dataPlaneProtocol.spec>({
    kind: 'dataplane',
    protocol: dataPlaneProtocol,
    behaviour: dataPlaneBehaviour(deps),
    model: 'DataPlane',
    key: 'name',
    placement: { pinned: true },
    passivates: false,
    onFailed: () => undefined,
    summary: (s) => ({ reconciles: s?.reconciles ?? 0, last_error: s?.last_error ?? null }),
  });
