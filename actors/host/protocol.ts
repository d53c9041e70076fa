import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../../runtime/protocol.js';

const text = (maxLength = 255) => Type.String({ minLength: 1, maxLength });
const count = () => Type.Integer({ minimum: 0 });
const ratio = () => Type.Number({ exclusiveMinimum: 0 });
const empty = () => Type.Object({}, { additionalProperties: false });

export const hostProtocol = defineProtocol('host', {
  register: {
    durable: true,
    payload: Type.Object({
      availability_zone: text(),
      hypervisor_type: text(32),
      libvirt_uri: text(1024),
      vcpus: Type.Integer({ minimum: 1 }),
      memory_mb: Type.Integer({ minimum: 1 }),
      local_gb: count(),
      cpu_allocation_ratio: ratio(),
      ram_allocation_ratio: ratio(),
      disk_allocation_ratio: ratio(),
    }, { additionalProperties: false }),
  },
  heartbeat: { durable: true, payload: empty() },
  setUsage: {
    durable: true,
    payload: Type.Object({
      vcpus_used: count(), memory_mb_used: count(), local_gb_used: count(), running_vms: count(),
    }, { additionalProperties: false }),
  },
  disable: { durable: true, payload: Type.Object({ reason: Type.Optional(text()) }, { additionalProperties: false }) },
  enable: { durable: true, payload: empty() },
  get: { durable: false, payload: empty() },
});
