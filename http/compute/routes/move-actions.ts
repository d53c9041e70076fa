import { randomBytes } from 'node:crypto';
import { evacuateServer, liveMigrateServer, resizeServer, settleResize } from '../../../services/compute/moves.js';
import { badRequest } from '../errors.js';
import { checkBody, type Schema } from '../json-schema.js';
import type { Microversion } from '../microversion.js';
import { truthy } from '../nova-values.js';
import * as schemas from '../schemas/moves.js';
import type { ComputeContext, ComputeServices } from '../services.js';

// The server actions that move a server: resize with confirmResize/revertResize, migrate and os-migrateLive.
// Each is checked as Nova's schema for the microversion does, then handed to the compute service.

/** Nova's answer to an action: its status, and a body when it has one. */
export interface ActionAnswer {
  readonly status: number;
  readonly body?: unknown;
}
type MoveAction = (s: ComputeServices, ctx: ComputeContext, value: unknown) => Promise<ActionAnswer | void>;
type Handler = (s: ComputeServices, ctx: ComputeContext, value: unknown, body: unknown) => Promise<ActionAnswer>;

/** The action checked against its schema, then run; answers the status Nova gives it. */
const checked =
  (schema: (v: Microversion) => Schema | undefined, run: MoveAction): Handler =>
  async (s, ctx, value, body) => {
    const sch = schema(ctx.state.version);
    if (sch) checkBody(sch, body);
    return (await run(s, ctx, value)) ?? { status: 202 };
  };

const caller = (ctx: ComputeContext) => ctx.state;

export const MOVE_ACTIONS: Readonly<Record<string, Handler>> = {
  resize: checked(
    () => schemas.resize,
    (s, ctx, value) => {
      const v = value as { flavorRef: string | number; 'OS-DCF:diskConfig'?: string };
      return resizeServer(s, caller(ctx), ctx.params.id, {
        flavorRef: String(v.flavorRef),
        ...(v['OS-DCF:diskConfig'] !== undefined ? { autoDiskConfig: v['OS-DCF:diskConfig'] === 'AUTO' } : {}),
      });
    },
  ),
  // Nova answers a confirmation 204, every other move 202.
  confirmResize: checked(
    () => undefined,
    async (s, ctx) => {
      await settleResize(s, caller(ctx), ctx.params.id, 'confirmResize');
      return { status: 204 };
    },
  ),
  revertResize: checked(
    () => undefined,
    (s, ctx) => settleResize(s, caller(ctx), ctx.params.id, 'revertResize'),
  ),
  migrate: checked(schemas.migrate, (s, ctx, value) => {
    const host = ctx.state.version.atLeast('2.56') ? ((value as { host?: string | null } | null)?.host ?? undefined) : undefined;
    return resizeServer(s, caller(ctx), ctx.params.id, host ? { host } : {});
  }),
  'os-migrateLive': checked(schemas.migrateLive, (s, ctx, value) => {
    const v = ctx.state.version;
    const body = value as { block_migration: unknown; host?: string | null; force?: unknown };
    const host = body.host ?? undefined;
    const force = v.atLeast('2.30') && !v.atLeast('2.68') && body.force !== undefined && truthy(body.force);
    // Nova's migrate_server: a forced live migration needs a destination.
    if (force && !host) throw badRequest("Can't force to a non-provided destination");
    return liveMigrateServer(s, caller(ctx), ctx.params.id, {
      ...(host ? { host } : {}),
      force,
      // 'auto' lets the driver choose; on simulated hosts there are no disks to copy either way.
      blockMigration: body.block_migration !== 'auto' && truthy(body.block_migration),
      // From 2.34 the checks of the destination happen after the answer, as Nova's asynchronous call.
      async: v.atLeast('2.34'),
    });
  }),
  evacuate: checked(schemas.evacuate, async (s, ctx, value) => {
    const v = ctx.state.version;
    const body = value as { host?: string; force?: unknown; adminPass?: string; onSharedStorage?: unknown };
    const force = v.atLeast('2.29') && !v.atLeast('2.68') && body.force !== undefined && truthy(body.force);
    if (force && !body.host) throw badRequest("Can't force to a non-provided destination");
    await evacuateServer(s, caller(ctx), ctx.params.id, {
      ...(body.host ? { host: body.host } : {}),
      force,
      serviceDownMs: s.serviceDownMs,
    });
    // Below 2.14 Nova answers the admin password (enable_instance_password): the one given, or a new one.
    if (v.atLeast('2.14')) return { status: 200 };
    return { status: 200, body: { adminPass: body.adminPass ?? randomBytes(9).toString('base64url') } };
  }),
};
