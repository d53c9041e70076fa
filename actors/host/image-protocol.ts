import { Type } from '@sinclair/typebox';
import { Chars } from '../../runtime/chars.js';

// A host's part in the image-based server actions (Nova's compute manager and libvirt driver: snapshot, backup,
// shelve, shelve offload, unshelve, rescue, unrescue, rebuild).

// Lengths in code points, as Nova (Python) counts them.
const text = (maxLength = 255) => Chars(1, maxLength);

export const HOST_IMAGE_OPS = ['snapshot', 'backup', 'shelve', 'shelve_offload', 'unshelve', 'rescue', 'unrescue', 'rebuild', 'drop_image'] as const;
export type HostImageOp = (typeof HOST_IMAGE_OPS)[number];

export const imageOrderPayload = Type.Object(
  {
    instance_uuid: text(36),
    op: Type.Union(HOST_IMAGE_OPS.map((o) => Type.Literal(o))),
    request_id: text(),
    memory_mb: Type.Integer({ minimum: 1 }),
    vcpus: Type.Integer({ minimum: 1 }),
    disk_gb: Type.Integer({ minimum: 0 }),
    /** The image written (snapshot, backup, shelve), removed (unshelve, drop_image), or booted (rescue, rebuild). */
    image_id: Type.Optional(text(36)),
    /** The image the server was booted from: on a simulated host a snapshot's data is that image's data. */
    source_image_ref: Type.Optional(Chars(0, 255)),
    /** A backup's rotation: the backups of this type beyond the newest `rotation` are deleted. */
    backup_type: Type.Optional(text()),
    rotation: Type.Optional(Type.Integer({ minimum: 0 })),
    /** A shelve that offloads at once (shelved_offload_time 0). */
    offload: Type.Optional(Type.Boolean()),
    /** Whether the guest runs after a rebuild (a stopped server stays stopped). */
    start: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const imageMessages = {
  /** From an instance whose image-based action the API accepted: carry it out on the domain and report back. */
  imageOp: { durable: true, payload: imageOrderPayload },
} as const;
