import { Type } from '@sinclair/typebox';
import { hostAdminMessages } from './admin-protocol.js';
import { defineProtocol } from '../../runtime/protocol.js';
import { Placement } from '../scheduler/protocol.js';
import { powerMessages } from './power-protocol.js';
import { syncMessages } from './sync-protocol.js';
import { imageMessages } from './image-protocol.js';
import { moveMessages } from './move-protocol.js';
import { Chars } from '../../runtime/chars.js';

// Lengths in code points, as Nova (Python) counts them.
const text = (maxLength = 255) => Chars(1, maxLength);
const count = () => Type.Integer({ minimum: 0 });
const ratio = () => Type.Number({ exclusiveMinimum: 0 });
const empty = () => Type.Object({}, { additionalProperties: false });

export const hostProtocol = defineProtocol('host', {
  /** The compute service starting: capacity from configuration, then its hypervisor reconciled with the tables. */
  register: {
    durable: true,
    payload: Type.Object(
      {
        availability_zone: text(),
        hypervisor_type: text(32),
        libvirt_uri: text(1024),
        vcpus: Type.Integer({ minimum: 1 }),
        memory_mb: Type.Integer({ minimum: 1 }),
        local_gb: count(),
        cpu_allocation_ratio: ratio(),
        ram_allocation_ratio: ratio(),
        disk_allocation_ratio: ratio(),
        /** The hypervisor's current boot; when it differs from the last one seen, its guests are started again. */
        boot_id: Type.Optional(text(64)),
        /** The compute node's address (Nova's my_ip), shown as the hypervisor's host_ip. */
        host_ip: Type.Optional(text(64)),
        /** RAM kept back for the host itself (Nova's reserved_host_memory_mb). */
        reserved_memory_mb: Type.Optional(count()),
        /** The host CPU as the hypervisor describes it, JSON (Nova's cpu_info). */
        cpu_info: Type.Optional(Chars(2, 65_535)),
      },
      { additionalProperties: false },
    ),
  },
  /**
   * The compute service reporting in, with the time it was sent: transient (a lost one is replaced by
   * the next), and one older than the last counted changes nothing, so a late one never makes a dead host
   * look alive. The host probes its hypervisor on each: a daemon that does not answer marks it down.
   */
  heartbeat: { durable: false, writes: true, payload: Type.Object({ sent_at: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }) },
  /** From an instance the scheduler placed here: claim the resources and start the guest, or send the boot back. */
  claim: {
    durable: true,
    payload: Type.Composite([Placement, Type.Object({ image_ref: Chars(0, 255), scheduler: text() })], {
      additionalProperties: false,
    }),
  },
  /** From an instance being deleted: destroy its domain and free what it held. */
  release: {
    durable: true,
    payload: Type.Object({ instance_uuid: text(36), vcpus: count(), memory_mb: count(), disk_gb: count() }, { additionalProperties: false }),
  },
  setUsage: {
    durable: true,
    payload: Type.Object(
      {
        vcpus_used: count(),
        memory_mb_used: count(),
        local_gb_used: count(),
        running_vms: count(),
      },
      { additionalProperties: false },
    ),
  },
  disable: { durable: true, payload: Type.Object({ reason: Type.Optional(text()) }, { additionalProperties: false }) },
  enable: { durable: true, payload: empty() },
  /** The operator forcing the compute service down (or back up): the scheduler leaves a forced-down host out at once. */
  forceDown: { durable: true, payload: Type.Object({ forced_down: Type.Boolean() }, { additionalProperties: false }) },
  /**
   * The operator deleting the compute service (and its hypervisor): refused while the host holds
   * servers. Its reports are then ignored, as Nova's are for a deleted service record, until the
   * compute service starts again and registers.
   */
  deregister: { durable: true, payload: empty() },
  /** What `uptime` says on the machine the compute service runs on (Nova's get_host_uptime). */
  uptime: { durable: false, payload: empty() },
  get: { durable: false, payload: empty() },
  ...hostAdminMessages,
  ...powerMessages,
  ...syncMessages,
  ...imageMessages,
  ...moveMessages,
});
