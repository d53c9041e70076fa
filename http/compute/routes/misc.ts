import type Router from '@koa/router';
import type { ComputeServices, ComputeState } from '../services.js';
import { diagnosticsRoutes } from './admin-actions.js';
import { extensionRoutes } from './extensions.js';
import { hostRoutes } from './hosts.js';
import { externalEventRoutes } from './external-events.js';
import { removedRoutes } from './removed.js';
import { serverPasswordRoutes } from './server-password.js';
import { usageAuditLogRoutes } from './usage-audit-log.js';

/** The remaining routes of issue 18 (extensions, external events, audit log, server password, diagnostics, removed APIs, os-hosts). */
export const miscRoutes: ReadonlyArray<(s: ComputeServices) => Router<ComputeState>> = [
  extensionRoutes,
  externalEventRoutes,
  usageAuditLogRoutes,
  serverPasswordRoutes,
  diagnosticsRoutes,
  removedRoutes,
  hostRoutes,
];
