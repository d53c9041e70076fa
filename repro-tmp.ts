import { startComputeCloud } from './test/helpers/compute.js';
const c = await startComputeCloud('repro', { libvirt: { simulatedHosts: 1 } });
try {
  for (const name of ['a', 'b']) {
    const r = await c.nova.call('POST', '/v2.1/flavors', { token: c.admin, body: { flavor: { name, ram: 128, vcpus: 1, disk: 1, id: null, 'OS-FLV-EXT-DATA:ephemeral': 0, swap: 0, rxtx_factor: 1.0, 'os-flavor-access:is_public': false } } });
    console.log(r.status, JSON.stringify(r.body).slice(0, 200));
  }
} finally { await c.stop(); }
