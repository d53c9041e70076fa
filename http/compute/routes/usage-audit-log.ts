import Router from '@koa/router';
import { badRequest } from '../errors.js';
import { hostRows } from '../service-records.js';
import { authorize, type ComputeServices, type ComputeState } from '../services.js';

// os-instance_usage_audit_log (admin): Nova's summary of its monthly instance usage audit over the
// compute services. Stratus runs no such audit (Nova's `instance_usage_audit` is off by default too),
// so every host is listed as not run for the last completed period.

const POLICY = 'os_compute_api:os-instance-usage-audit-log';

/** Nova's last_completed_audit_period for the default unit, a month: [first of last month, first of this month). */
function lastCompletedMonth(before: Date): [Date, Date] {
  let end = new Date(Date.UTC(before.getUTCFullYear(), before.getUTCMonth(), 1));
  if (end.getTime() >= before.getTime()) end = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  return [new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1)), end];
}

/** Python's str(datetime): microseconds only when there are any. */
const pyStr = (d: Date, micros = 0) => {
  const text = d.toISOString().slice(0, 19).replace('T', ' ');
  return micros ? `${text}.${String(micros).padStart(6, '0')}` : text;
};

// strptime's "%Y-%m-%d %H:%M:%S[.%f]": one or two digits for each field after the year.
const TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/;

function parseBefore(id: string): Date {
  const m = TIMESTAMP.exec(id);
  const invalid = () => badRequest(`Invalid timestamp for date ${id}`);
  if (!m || id.includes('.') !== (m[7] !== undefined)) throw invalid();
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const micros = Number((m[7] ?? '0').padEnd(6, '0'));
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s) + micros / 1000);
  // Date.UTC rolls 31 February into March; strptime refuses it.
  if (y < 1 || at.getUTCDate() !== d || at.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59) throw invalid();
  return at;
}

async function auditLog(s: ComputeServices, before: Date) {
  const [begin, end] = lastCompletedMonth(before);
  const hosts = (await hostRows(s)).map((h) => h.name);
  return {
    period_beginning: pyStr(begin),
    period_ending: pyStr(end),
    num_hosts: hosts.length,
    num_hosts_done: 0,
    num_hosts_running: 0,
    num_hosts_not_run: hosts.length,
    hosts_not_run: hosts,
    total_instances: 0,
    total_errors: 0,
    overall_status: `${hosts.length === 0 ? 'ALL' : `0 of ${hosts.length}`} hosts done. 0 errors.`,
    log: {},
  };
}

export function usageAuditLogRoutes(s: ComputeServices): Router<ComputeState> {
  const router = new Router<ComputeState>();
  router.get('/os-instance_usage_audit_log', async (ctx) => {
    authorize(ctx, `${POLICY}:list`, 'admin');
    ctx.body = { instance_usage_audit_logs: await auditLog(s, new Date(s.clock.now())) };
  });
  router.get('/os-instance_usage_audit_log/:before', async (ctx) => {
    authorize(ctx, `${POLICY}:show`, 'admin');
    ctx.body = { instance_usage_audit_log: await auditLog(s, parseBefore(ctx.params.before)) };
  });
  return router;
}
