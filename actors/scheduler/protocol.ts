import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';
import { Chars } from '../../runtime/chars.js';

// Lengths in code points, as Nova (Python) counts them.
const text = (maxLength = 255) => Chars(1, maxLength);
const count = () => Type.Integer({ minimum: 0 });

/** Most servers a same_host or different_host hint may name. */
export const MAX_HINTED_SERVERS = 1000;

/** Nova's same_host / different_host scheduler hints: servers whose hosts the boot must share, or avoid. */
export const HostHints = Type.Object(
  {
    same_host: Type.Optional(Type.Array(text(36), { maxItems: MAX_HINTED_SERVERS })),
    different_host: Type.Optional(Type.Array(text(36), { maxItems: MAX_HINTED_SERVERS })),
  },
  { additionalProperties: false },
);

/** What one boot needs of a host, and where it was tried already. */
export const Placement = Type.Object(
  {
    instance_uuid: text(36),
    vcpus: count(),
    memory_mb: count(),
    disk_gb: count(),
    availability_zone: Type.Union([text(), Type.Null()]),
    /** Hosts that already refused or failed this boot. */
    tried: Type.Array(text(), { maxItems: 64 }),
    attempt: Type.Integer({ minimum: 1 }),
    /** A host an admin asked for; a forced one is taken whatever the filters say, as Nova's force_hosts. */
    destination: Type.Optional(Type.Object({ host: text(), force: Type.Boolean() }, { additionalProperties: false })),
    /** The flavor's extra specs, for the aggregate extra-specs filter (absent when it has none). */
    extra_specs: Type.Optional(Type.Record(Type.String(), Chars(0, 255), { maxProperties: 256 })),
    /** The image booted, whose properties the image properties filter reads (absent for a volume boot). */
    image: Type.Optional(text(255)),
    /** The server group the boot joined, whose policy places it. */
    server_group: Type.Optional(text(36)),
    /** The boot's same_host / different_host hints (Nova's SameHostFilter and DifferentHostFilter). */
    host_hints: Type.Optional(HostHints),
  },
  { additionalProperties: false },
);

export const schedulerProtocol = defineProtocol('scheduler', {
  /**
   * Which host should take this boot? Transient, as Nova's select_destinations is: the answer
   * changes nothing durable, and the chosen host's claim is what holds the resources.
   */
  select: { durable: false, payload: Placement },
  /** The nova-scheduler service reporting in, with its send time: transient, so a late one is never replayed. */
  heartbeat: { durable: false, writes: true, payload: Type.Object({ sent_at: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }) },
  /**
   * The operator deleting this node's nova-scheduler (or nova-conductor: one service here) record:
   * its reports are ignored until the node starts again, as a deleted Nova service stays gone until restarted.
   */
  deregister: { durable: true, payload: Type.Object({}, { additionalProperties: false }) },
  get: { durable: false, payload: Type.Object({}, { additionalProperties: false }) },
});
