import test from 'ava';
import { connect } from 'node:net';
import { startComputeCloud, type ComputeCloud } from './helpers/compute.js';
import { problemWith, type ApiName } from './fuzz/harness.js';

// Found by the generated-input suite: requests Node's HTTP parser refuses before any API sees them
// (a 431 with an empty body), and methods no route takes (a 501 from the router; a 405 without a
// body from the image API), are answered in each API's own error format.

let c: ComputeCloud;
test.before(async () => {
  c = await startComputeCloud('fuzz-protocol', { libvirt: { simulatedHosts: 0 } }, undefined, { judged: false });
});
test.after.always(async () => {
  await c?.stop();
});

/** Writes raw bytes on a new connection and reads the whole answer. */
function raw(base: string, text: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      const answer = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0), body: answer.slice(answer.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(text);
  });
}

const bases = (): Record<ApiName, string> => ({ compute: c.cloud.compute!.url, identity: c.cloud.identity!.server.url, image: c.cloud.images!.url });

for (const api of ['compute', 'identity', 'image'] as const) {
  test(`${api}: headers beyond Node's limit are a 431 in the API's error format`, async (t) => {
    const answer = await raw(bases()[api], `GET /${'x'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    t.is(answer.status, 431);
    t.is(problemWith({ api, method: 'GET', path: '/', headers: {} }, { status: answer.status, text: answer.body }), undefined, answer.body);
    t.regex(answer.body, /Request Header Fields Too Large/);
  });

  test(`${api}: a HEAD with headers beyond Node's limit is a 431 without a body`, async (t) => {
    const answer = await raw(bases()[api], `HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Subject-Token: ${'x'.repeat(20_000)}\r\n\r\n`);
    t.is(answer.status, 431);
    t.is(answer.body, '');
  });

  const paths = { compute: ['/v2.1/flavors', '/v2.1/limits'], identity: ['/v3/projects', '/v3/projects'], image: ['/v2/images', '/v2/images'] }[api];
  for (const [method, path] of [
    ['PROPFIND', paths[0]],
    ['PUT', paths[1]],
  ]) {
    test(`${api}: ${method} ${path} is a 405 in the API's error format`, async (t) => {
      const response = await fetch(`${bases()[api]}${path}`, { method, headers: { 'x-auth-token': c.admin } });
      const text = await response.text();
      t.is(response.status, 405);
      t.is(problemWith({ api, method, path, headers: {} }, { status: response.status, text }), undefined, text);
    });
  }

  test(`${api}: a malformed header line is a 400 in the API's error format`, async (t) => {
    const answer = await raw(bases()[api], 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nnot a header\r\n\r\n');
    t.is(answer.status, 400);
    t.is(problemWith({ api, method: 'GET', path: '/', headers: {} }, { status: answer.status, text: answer.body }), undefined, answer.body);
    t.regex(answer.body, /Bad Request/);
  });
}
