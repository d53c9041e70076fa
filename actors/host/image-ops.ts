import type { Static } from '@sinclair/typebox';
import type { HandlerContext, Outcome } from '../../runtime/kind.js';
import { ref } from '../../runtime/ref.js';
import type { LibvirtConnection } from '../../drivers/libvirt/connection.js';
import { PowerState } from '../../drivers/libvirt/power-state.js';
import type { HostRow } from '../../models/host.js';
import { sourceOf, type RealGuests } from './domain-spec.js';
import type { imageOrderPayload } from './image-protocol.js';
import { released } from './state.js';

// The image-based server actions on a host's domains. The API refuses them for real guests (their disks cannot be
// copied yet), so what runs here drives the test driver's domains: a snapshot's data is its source image's data,
// and a guest redefined to boot another image (rescue, rebuild) carries that image in its domain's <description>.

/** What a host needs of the image service: implemented over the image store by whoever wires the host. */
export interface HostImages {
  /** Gives a queued snapshot image its data (here its source image's) and makes it active. */
  upload(imageId: string, sourceImageRef: string): Promise<void>;
  /** Deletes an image (a shelved server's, once unshelved); one already gone is success. */
  remove(imageId: string): Promise<void>;
  /** Deletes the server's backups of this type beyond the newest `rotation` (Nova's _rotate_backups); answers their ids. */
  rotate(instanceUuid: string, backupType: string, rotation: number): Promise<string[]>;
}

export interface ImageOpDeps {
  readonly hypervisor: (uri: string) => LibvirtConnection;
  readonly realGuests?: (host: string) => RealGuests | undefined;
  readonly images?: HostImages;
  /** TEST-ONLY fault hook (faults.spawnDelayMs): resolves when the operation may go on, so a test can kill the node meanwhile. */
  readonly holdSpawn?: (host: string) => Promise<void>;
}

type Order = Static<typeof imageOrderPayload>;

/** What a rescued guest's definition says it boots. */
export const rescueDescription = (imageId: string) => `rescue:${imageId}`;
/** What a rebuilt guest's definition says it boots. */
export const imageDescription = (imageId: string) => `image:${imageId}`;

function need(deps: ImageOpDeps): HostImages {
  if (!deps.images) throw new Error('this compute node has no image service to write snapshots to');
  return deps.images;
}

export function imageHandlers(deps: ImageOpDeps, known: (state: HostRow | null, ctx: HandlerContext) => HostRow) {
  return {
    imageOp: async (state: HostRow | null, o: Order, ctx: HandlerContext): Promise<Outcome<HostRow>> => {
      const host = known(state, ctx);
      const hv = deps.hypervisor(host.libvirt_uri);
      const instance = ref('instance', o.instance_uuid);
      const progress = (task_state: string) => ctx.send(instance, 'imageProgress', { op: o.op, request_id: o.request_id, task_state });
      const spec = sourceOf({ uuid: o.instance_uuid, memory_mb: o.memory_mb, vcpus: o.vcpus }, deps.realGuests?.(host.name));
      const report = (power_state: number, error?: Error, extra: { released?: boolean } = {}) =>
        ctx.send(instance, 'imageDone', {
          op: o.op,
          request_id: o.request_id,
          power_state,
          ...extra,
          ...(error
            ? { error: { message: error.message.slice(0, 65_535), ...(error.stack ? { traceback: error.stack.slice(0, 65_535) } : {}) } }
            : {}),
        });
      // Undefines the domain and frees what the server held here: the host's side of a shelve offload.
      const offload = async (): Promise<HostRow> => {
        await hv.remove(o.instance_uuid);
        await deps.realGuests?.(host.name)?.remove(o.instance_uuid);
        return released(host, { vcpus: o.vcpus, memory_mb: o.memory_mb, disk_gb: o.disk_gb }, ctx.now);
      };
      if (deps.holdSpawn && o.op !== 'drop_image') {
        // Said when the hold begins, so a test knows the order is on its host and nothing is done yet.
        ctx.log.info({ host: host.name, instance: o.instance_uuid, op: o.op }, 'image operation held (test-only fault)');
        await deps.holdSpawn(host.name);
      }
      try {
        switch (o.op) {
          case 'snapshot':
          case 'backup': {
            progress('image_pending_upload');
            progress('image_uploading');
            await need(deps).upload(o.image_id!, o.source_image_ref ?? '');
            if (o.op === 'backup') await need(deps).rotate(o.instance_uuid, o.backup_type!, o.rotation ?? 0);
            report((await hv.status(o.instance_uuid))?.powerState ?? PowerState.NOSTATE);
            return {};
          }
          case 'shelve': {
            // Nova powers the guest off (cleanly, within its shutdown timeout) before taking the snapshot.
            await hv.destroy(o.instance_uuid);
            progress('shelving_image_pending_upload');
            progress('shelving_image_uploading');
            await need(deps).upload(o.image_id!, o.source_image_ref ?? '');
            if (!o.offload) {
              report(PowerState.SHUTDOWN);
              return {};
            }
            progress('shelving_offloading');
            const next = await offload();
            report(PowerState.NOSTATE, undefined, { released: true });
            return { state: next };
          }
          case 'shelve_offload': {
            const next = await offload();
            report(PowerState.NOSTATE, undefined, { released: true });
            return { state: next };
          }
          case 'unshelve': {
            // Shelved but not offloaded: the guest is still defined here and boots again.
            progress('spawning');
            const status = await hv.ensureRunning(spec);
            if (o.image_id) await need(deps).remove(o.image_id);
            report(status.powerState);
            return {};
          }
          case 'drop_image':
            if (o.image_id) await need(deps).remove(o.image_id);
            return {};
          case 'rescue':
          case 'unrescue': {
            // Nova's libvirt driver destroys the guest and boots it from the rescue image; unrescue boots it as it was.
            await hv.destroy(o.instance_uuid);
            await hv.setDescription(o.instance_uuid, o.op === 'rescue' ? rescueDescription(o.image_id ?? o.source_image_ref ?? '') : undefined);
            report((await hv.ensureRunning(spec)).powerState);
            return {};
          }
          case 'rebuild': {
            // The guest is destroyed and defined afresh from the new image; a stopped server stays stopped.
            progress('rebuild_block_device_mapping');
            await hv.remove(o.instance_uuid);
            progress('rebuild_spawning');
            await hv.define(spec);
            await hv.setDescription(o.instance_uuid, imageDescription(o.image_id ?? ''));
            report(o.start === false ? PowerState.SHUTDOWN : (await hv.ensureRunning(spec)).powerState);
            return {};
          }
        }
      } catch (error) {
        ctx.log.warn({ err: error, instance: o.instance_uuid, op: o.op }, 'image operation failed');
        const status = await hv.status(o.instance_uuid).catch(() => undefined);
        report(status?.powerState ?? PowerState.NOSTATE, error instanceof Error ? error : new Error(String(error)));
        return {};
      }
    },
  };
}
