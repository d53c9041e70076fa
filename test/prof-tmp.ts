import { startComputeCloud, boot } from '/work/main/test/helpers/compute.js';
const c = await startComputeCloud('prof', { libvirt: { vcpus: 64, memoryMb: 262144 } });
const t0 = performance.now();
let next = 0; const ids: string[] = [];
await Promise.all(Array.from({ length: 25 }, async () => { while (next < 200) { next++; const r = await boot(c.nova, c.admin, 'p'); ids.push(r.body.server.id); } }));
const t1 = performance.now();
for (;;) { const r = await c.nova.call('GET', '/v2.1/servers?status=ACTIVE&limit=5000', { token: c.admin }); if (r.body.servers.length >= 200) break; await new Promise((r) => setTimeout(r, 20)); }
const t2 = performance.now();
console.log('posts done', (t1 - t0).toFixed(0), 'all active', (t2 - t0).toFixed(0), 'store', JSON.stringify(c.cloud.node.store.stats));
await c.stop();
process.exit(0);
