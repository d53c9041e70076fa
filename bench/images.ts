import { Agent, request } from 'node:http';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { report, note, scaled } from './report.js';
import { ADMIN_PASSWORD, client, startImageServer } from '../test/helpers/identity.js';

// 1 GiB at full scale, in whole 4 MiB blocks.
const BLOCK = 4 * 1024 * 1024;
const SIZE = scaled(256, 4) * BLOCK;
const label = SIZE >= 1024 ** 3 ? `${SIZE / 1024 ** 3} GiB` : `${SIZE / 1024 ** 2} MiB`;
const agent = new Agent({ keepAlive: true });

/** A stream stage computing md5 and sha512 of what passes, as the image service does. */
const hashing = () => {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  return new Transform({
    transform(chunk: Buffer, _e, done) {
      md5.update(chunk);
      sha512.update(chunk);
      done(null, chunk);
    },
  });
};

const mbps = (bytes: number, ms: number) => bytes / (1024 * 1024) / (ms / 1000);

/**
 * Upload of a 1 GiB image vs copying the same bytes between files while hashing them (what the
 * service does with an upload); download vs a plain read of the file (what it does for a download).
 * Every file either side reads was just written, so both read from the page cache.
 */
export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-images-'));
  const source = join(dir, 'source.raw');
  const block = randomBytes(BLOCK);
  const fd = openSync(source, 'w');
  for (let written = 0; written < SIZE; written += block.length) writeSync(fd, block);
  closeSync(fd);

  const server = await startImageServer(`sqlite:${join(dir, 'bench.sqlite')}`);
  const token = (await client(server.identity.url).login('admin', ADMIN_PASSWORD, 'admin')).token!;
  const glance = client(server.url);
  const id = (
    (await glance.call('POST', '/v2/images', { token, body: { name: 'bench', disk_format: 'raw', container_format: 'bare' } })).body as { id: string }
  ).id;

  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 100);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request(
      `${server.url}/v2/images/${id}/file`,
      {
        method: 'PUT',
        agent,
        headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', 'content-length': String(SIZE) },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`upload: ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    createReadStream(source).pipe(req);
  });
  const upload = mbps(SIZE, performance.now() - t0);
  const t1 = performance.now();
  await new Promise<void>((resolve, reject) => {
    request(`${server.url}/v2/images/${id}/file`, { agent, headers: { 'x-auth-token': token } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`download: ${res.statusCode}`))));
    })
      .on('error', reject)
      .end();
  });
  const download = mbps(SIZE, performance.now() - t1);
  clearInterval(sampler);

  const t2 = performance.now();
  await pipeline(createReadStream(source), hashing(), createWriteStream(join(dir, 'copy.raw')));
  const copy = mbps(statSync(join(dir, 'copy.raw')).size, performance.now() - t2);
  const t3 = performance.now();
  let read = 0;
  for await (const chunk of createReadStream(join(dir, 'copy.raw'))) read += (chunk as Buffer).length;
  const plainRead = mbps(read, performance.now() - t3);

  report(`image upload (${label}, PUT /v2/images/{id}/file)`, upload, 'MB/s', 'fs stream copy with md5+sha512', copy);
  report(`image download (${label}, GET /v2/images/{id}/file)`, download, 'MB/s', 'plain fs stream read of the same bytes', plainRead);
  note(`resident memory during the transfers: ${(Math.min(...rss) / 2 ** 20).toFixed(0)}–${(Math.max(...rss) / 2 ** 20).toFixed(0)} MiB`);
  await server.stop();
  agent.destroy();
  writeFileSync(source, '');
  rmSync(dir, { recursive: true, force: true });
}
