import { startComputeCloud, boot } from '/work/main/test/helpers/compute.js';
const c = await startComputeCloud('prof', { libvirt: { vcpus: 64, memoryMb: 262144 } });
for (let round = 0; round < 2; round++) {
  const t0 = performance.now();
  for (let i = 0; i < 30; i++) await boot(c.nova, c.admin, 'p');
  console.log('sequential POST ms', ((performance.now() - t0) / 30).toFixed(2));
  const g0 = performance.now();
  for (let i = 0; i < 30; i++) await c.nova.call('GET', '/v2.1/flavors/1', { token: c.admin });
  console.log('GET flavor ms', ((performance.now() - g0) / 30).toFixed(2));
  const s0 = performance.now();
  for (let i = 0; i < 30; i++) await c.cloud.node.ask({ kind: 'instance', id: crypto.randomUUID() }, 'create', { project_id: 'p', user_id: 'u', display_name: 'x', flavor_id: '1', memory_mb: 1, vcpus: 1, root_gb: 0, image_ref: '', availability_zone: null, reservation_id: 'r' });
  console.log('ask create (no scheduler) ms', ((performance.now() - s0) / 30).toFixed(2));
}
await c.stop(); process.exit(0);
