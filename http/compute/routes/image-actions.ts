import {
  createServerImage,
  rebuildServer,
  rescueServer,
  shelveOffloadServer,
  shelveServer,
  unrescueServer,
  unshelveServer,
} from '../../../services/compute/image-actions.js';
import { checkBody } from '../json-schema.js';
import * as schemas from '../schemas/image-actions.js';
import type { ComputeContext, ComputeServices } from '../services.js';
import { serverDetail } from '../views/server.js';
import { networkView } from '../views/server-network.js';
import { canonicalIpv6 } from '../ip-address.js';

// The image-based server actions of POST /servers/{id}/action (server-actions.ts hands them here): each body
// checked as Nova's schema for the microversion does, then the compute service; the answer as Nova shapes it.

type Handler = (s: ComputeServices, ctx: ComputeContext, value: unknown, body: unknown) => Promise<void>;

const accepted = (ctx: ComputeContext, body: unknown = null) => {
  // Null means 204 to Koa: the status is set after the body.
  ctx.body = body;
  ctx.status = 202;
};

/** createImage and createBackup answer where the image is: a Location header below 2.45, `image_id` from 2.45. */
function imageAnswer(s: ComputeServices, ctx: ComputeContext, imageId: string): void {
  if (ctx.state.version.atLeast('2.45')) return accepted(ctx, { image_id: imageId });
  ctx.set('Location', s.images.imageUrl(imageId));
  accepted(ctx);
}

type Obj = Record<string, unknown>;

/** Nova's parameter_types.boolean as oslo's bool_from_string reads it. */
const truthy = (v: unknown) => v === true || (typeof v === 'string' && ['1', 't', 'true', 'on', 'y', 'yes'].includes(v.toLowerCase()));

export const IMAGE_ACTIONS: Readonly<Record<string, Handler>> = {
  createImage: async (s, ctx, value, body) => {
    checkBody(schemas.createImage, body);
    const v = value as { name: string; metadata?: Record<string, string> };
    imageAnswer(s, ctx, await createServerImage(s, ctx.state, ctx.params.id, { name: v.name, ...(v.metadata ? { metadata: v.metadata } : {}) }));
  },
  createBackup: async (s, ctx, value, body) => {
    checkBody(schemas.createBackup, body);
    const v = value as { name: string; backup_type: string; rotation: number | string; metadata?: Record<string, string> };
    const request = { name: v.name, backup: { type: v.backup_type, rotation: Number(v.rotation) }, ...(v.metadata ? { metadata: v.metadata } : {}) };
    imageAnswer(s, ctx, await createServerImage(s, ctx.state, ctx.params.id, request));
  },
  shelve: async (s, ctx) => {
    await shelveServer(s, ctx.state, ctx.params.id);
    accepted(ctx);
  },
  shelveOffload: async (s, ctx) => {
    await shelveOffloadServer(s, ctx.state, ctx.params.id);
    accepted(ctx);
  },
  unshelve: async (s, ctx, value, body) => {
    const schema = schemas.unshelve(ctx.state.version);
    if (schema) checkBody(schema, body);
    const v = (schema ? value : null) as { availability_zone?: string | null; host?: string } | null;
    await unshelveServer(s, ctx.state, ctx.params.id, {
      ...(v && v.availability_zone !== undefined ? { availability_zone: v.availability_zone } : {}),
      ...(v?.host !== undefined ? { host: v.host } : {}),
    });
    accepted(ctx);
  },
  rescue: async (s, ctx, value, body) => {
    checkBody(schemas.rescue, body);
    const v = (value ?? {}) as { adminPass?: string; rescue_image_ref?: string };
    const adminPass = await rescueServer(s, ctx.state, ctx.params.id, { ...v, stableRescue: ctx.state.version.atLeast('2.87') });
    ctx.status = 200;
    ctx.body = { adminPass };
  },
  unrescue: async (s, ctx) => {
    await unrescueServer(s, ctx.state, ctx.params.id);
    accepted(ctx);
  },
  rebuild: async (s, ctx, value, body) => {
    const v = ctx.state.version;
    checkBody(schemas.rebuild(v), body);
    const r = value as Obj;
    const { row, adminPass } = await rebuildServer(s, ctx.state, ctx.params.id, {
      imageRef: r.imageRef as string,
      ...(r.name !== undefined ? { name: r.name as string } : {}),
      ...(r.adminPass !== undefined ? { adminPass: r.adminPass as string } : {}),
      ...(r.metadata !== undefined ? { metadata: r.metadata as Record<string, string> } : {}),
      ...(r.description !== undefined ? { description: r.description as string | null } : {}),
      ...(r.key_name !== undefined ? { keyName: r.key_name as string | null } : {}),
      ...(r.user_data !== undefined ? { userData: r.user_data as string | null } : {}),
      ...(r.hostname !== undefined ? { hostname: r.hostname as string } : {}),
      ...(r.accessIPv4 !== undefined ? { accessIPv4: r.accessIPv4 as string } : {}),
      ...(r.accessIPv6 !== undefined ? { accessIPv6: canonicalIpv6(r.accessIPv6 as string) } : {}),
      ...(r.preserve_ephemeral !== undefined ? { preserveEphemeral: truthy(r.preserve_ephemeral) } : {}),
      ...(r['OS-DCF:diskConfig'] !== undefined ? { autoDiskConfig: r['OS-DCF:diskConfig'] === 'AUTO' } : {}),
    });
    const server = serverDetail(s, row, {
      version: v,
      isAdmin: ctx.state.auth.isAdmin,
      shape: v.atLeast('2.75') ? 'show' : 'update',
      // A rebuild keeps the server's ports: its answer shows their addresses.
      ...(await networkView(s, [row])),
    });
    // From 2.57 the rebuild answer shows the user data the server now has as `user_data`, and Nova's full view
    // of 2.75 leaves the admins' `OS-EXT-SRV-ATTR:user_data` out of it (show_user_data=False).
    // From 2.54 it names the key pair the server now has (the full view of 2.75 does anyway).
    const { ['OS-EXT-SRV-ATTR:user_data']: _userData, ...shown } = server;
    accepted(ctx, {
      server: {
        ...shown,
        adminPass,
        ...(v.atLeast('2.54') ? { key_name: row.key_name ?? null } : {}),
        ...(v.atLeast('2.57') ? { user_data: row.user_data ?? null } : {}),
      },
    });
  },
};
