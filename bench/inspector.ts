import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { listen } from '../http/listen.js';
import { inspectorApp } from '../http/inspector/app.js';
import { InspectorStream } from '../http/inspector/stream.js';
import { OperatorAudit } from '../http/admin/audit.js';
import { Operator } from '../runtime/operator.js';
import { SingleNodeView } from '../runtime/cluster/single-node.js';
import { SystemClock } from '../runtime/clock.js';
import { silentLogger } from '../runtime/logger.js';
import { ref } from '../runtime/ref.js';
import { count, note, report, scaled } from './report.js';
import { instance, instanceNode, seedInstances, sqliteDatabase } from './runtime/support.js';

// The inspector's page with 100,000 live actors, in Debian's chromium (already running): from navigation to the
// first paint of the tree and its first window of rows, against the same visible rows as a static HTML table in
// the same browser; then the update rate the page applies while a generator makes 1,000 changes a second, against
// that generated rate. The token check is a stand-in accepting one token (the admin API's own checks are tested
// elsewhere); everything else is the product's: the node, its activations, the routes, the stream and the page.

const ACTORS = scaled(100_000, 1_000);
const CHANGES_PER_S = 1_000;
const GENERATE_MS = scaled(10_000, 3_000);
const TOKEN = 'bench-admin-token';

export async function run(): Promise<void> {
  const database = await sqliteDatabase();
  const bench = await instanceNode(database.url);
  await seedInstances(bench.db, ACTORS);
  for (let start = 0; start < ACTORS; start += 5_000)
    await Promise.all(Array.from({ length: Math.min(5_000, ACTORS - start) }, (_, k) => bench.node.ask(instance(start + k), 'get', {})));
  const clock = new SystemClock();
  const cluster = new SingleNodeView({
    nodeId: 'bench',
    roles: ['api', 'scheduler', 'compute'],
    address: () => '',
    startedAt: clock.now(),
    now: () => clock.now(),
    leaseMs: 10_000,
    pins: () => [],
    load: () => bench.node.load(),
    placementOf: (kind) => bench.node.placementOf(kind),
  });
  const services = {
    operator: new Operator(bench.node),
    tokens: {
      context: (token: string | undefined) =>
        token === TOKEN ? Promise.resolve({ isAdmin: true, userId: 'bench' }) : Promise.reject(new Error('unknown token')),
    },
    cluster,
    models: bench.db.models,
    audit: new OperatorAudit(bench.db.models, () => clock.now()),
  };
  const path = '/inspector';
  const server = await listen(inspectorApp(services, { path, identityUrl: () => '' }, silentLogger()), '127.0.0.1', 0);
  const stream = new InspectorStream(services, { path, batchMs: 500, clock, logger: silentLogger() });
  stream.attach(server.server);

  // The baseline: the rows the page shows first, as one static table.
  const rows = services.operator.inventory({}, 0, 60).rows;
  const table = `<!doctype html><html><head><title>static</title></head><body><table><thead><tr>${['kind', 'id', 'node', 'status', 'mailbox', 'handled', 'restarts', 'epoch'].map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr data-actor="${r.kind}/${r.id}"><td>${r.kind}</td><td>${r.id}</td><td>${r.node}</td><td>${r.status}</td><td>${r.mailboxDepth}</td><td>${r.handled}</td><td>${r.restarts}</td><td>${r.epoch}</td></tr>`,
    )
    .join('')}</tbody></table></body></html>`;
  const staticServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(table));
  await new Promise<void>((r) => staticServer.listen(0, '127.0.0.1', r));
  const staticUrl = `http://127.0.0.1:${(staticServer.address() as { port: number }).port}/`;

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript((token) => {
      sessionStorage.setItem('stratus-inspector-session', JSON.stringify({ token, csrf: '' }));
    }, TOKEN);
    const page = await context.newPage();
    // Warm both once (the browser's caches and the server's first answers), then time each three times.
    const pageTimes: number[] = [];
    const staticTimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      let t0 = performance.now();
      await page.goto(`${server.url}${path}/`);
      await page.locator('[data-actor]').first().waitFor({ timeout: 60_000 });
      await page.locator('#nodes tbody tr').first().waitFor({ timeout: 60_000 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
      if (i) pageTimes.push(performance.now() - t0);
      t0 = performance.now();
      await page.goto(staticUrl);
      await page.locator('[data-actor]').first().waitFor({ timeout: 60_000 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
      if (i) staticTimes.push(performance.now() - t0);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    report(
      `inspector first paint of the tree and its first rows, ${count(ACTORS)} live actors (median of 3)`,
      median(pageTimes),
      'ms',
      'the same visible rows as a static HTML table',
      median(staticTimes),
    );

    // Updates: the page open, a generator making 1,000 lifecycle changes a second through the node's change stream.
    await page.goto(`${server.url}${path}/`);
    await page.locator('[data-actor]').first().waitFor({ timeout: 60_000 });
    const applied0 = Number(await page.locator('#seq').textContent());
    let generated = 0;
    const started = performance.now();
    const generator = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * CHANGES_PER_S) - generated;
      for (let k = 0; k < due; k++) bench.node.changed('restarted', ref('instance', instance(generated++ % ACTORS).id));
    }, 10);
    let changesApplied = 0;
    await page.exposeFunction('benchApplied', (n: number) => (changesApplied += n));
    await page.evaluate(() => {
      const out = document.getElementById('changes')!;
      new MutationObserver(() => (window as unknown as { benchApplied(n: number): void }).benchApplied(Number(out.textContent))).observe(out, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await new Promise((r) => setTimeout(r, GENERATE_MS));
    clearInterval(generator);
    const elapsed = (performance.now() - started) / 1000;
    // Within two batches of the end the page shows the server's last sequence number.
    await new Promise((r) => setTimeout(r, 1_000));
    const pageSeq = Number(await page.locator('#seq').textContent());
    const serverSeq = stream.lastSeq();
    note(
      `after ${count(generated)} changes in ${elapsed.toFixed(1)} s: page applied batch ${pageSeq}, server sent ${serverSeq} (behind by ${serverSeq - pageSeq}); batches applied ${pageSeq - applied0}`,
    );
    report('inspector updates applied by the page', changesApplied / elapsed, 'changes/s', 'changes generated', generated / elapsed);
    await context.close();
  } finally {
    await browser.close();
    stream.close();
    await server.close();
    staticServer.close();
    await bench.stop();
    await database.drop();
  }
}
