import fc from 'fast-check';
import { appendFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';

export type ApiName = 'compute' | 'identity' | 'image';

/** One generated request, exactly as it goes on the wire (the path already encoded, or deliberately not). */
export interface FuzzRequest {
  api: ApiName;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface Answer {
  status: number;
  text: string;
  error?: string;
}

/**
 * Inputs whose 5xx another slice of issue 15 is fixing in its own branch right now: skipped here,
 * exactly those, so that the lead empties this list once those branches are merged.
 */
export const KNOWN_ELSEWHERE: ReadonlyArray<{ owner: string; what: string; matches: (r: FuzzRequest) => boolean }> = [];

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes every byte of the UTF-8 text that is not unreserved (lone surrogates become U+FFFD, as any client sends them). */
export function encode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += UNRESERVED.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A query string from lists of values (a parameter given twice is two pairs). */
export const queryOf = (params: Record<string, unknown[]>) =>
  Object.entries(params)
    .flatMap(([k, vs]) => vs.map((v) => `${encode(k)}=${encode(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))}`))
    .join('&');

// Header values Node refuses to send (control characters, beyond Latin-1) are replaced: those never reach a server.
const headerSafe = (v: string) => v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

/** Sends one request on a keep-alive agent, bounded in time; a reset or a timeout is an answer of its own. */
export async function send(agent: Agent, base: string, r: FuzzRequest, timeoutMs = 30_000): Promise<Answer> {
  const first = await sendOnce(agent, base, r, timeoutMs);
  // A kept-alive connection the server closed meanwhile resets (Node's documented race): tried again on a new one.
  return first.reused && first.status === 0 ? sendOnce(false, base, r, timeoutMs) : first;
}

function sendOnce(agent: Agent | false, base: string, r: FuzzRequest, timeoutMs: number): Promise<Answer & { reused?: boolean }> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) headers[k] = headerSafe(v);
    if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
    const req = httpRequest({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ status: 0, text: '', error: e.message }));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (e) => resolve({ status: 0, text: '', error: e.message, reused: req.reusedSocket }));
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const errorShape = (v: unknown, status: number) => isObject(v) && v.code === status && typeof v.title === 'string' && typeof v.message === 'string';

/** What is wrong with an answer, or undefined: never a 5xx or no answer, and every 4xx in the API's own fault format. */
export function problemWith(r: FuzzRequest, a: Answer): string | undefined {
  if (a.status === 0) return `no answer: ${a.error}`;
  // 501 is Nova's deliberate answer for what a driver does not implement (os-hosts power actions): a fault, checked below.
  if (a.status >= 500 && a.status !== 501) return `answered ${a.status}`;
  if (a.status < 400 || r.method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return `a ${a.status} whose body is not JSON`;
  }
  // Keystone's shape: the identity API's, and Nova's 401 (keystonemiddleware answers it).
  const keystone = isObject(body) && Object.keys(body).length === 1 && errorShape(body.error, a.status);
  if (r.api === 'identity' || (r.api === 'compute' && a.status === 401)) return keystone ? undefined : `a ${a.status} not in Keystone's error format`;
  if (r.api === 'image') return errorShape(body, a.status) ? undefined : `a ${a.status} not in Glance's error format`;
  const keys = isObject(body) ? Object.keys(body) : [];
  const fault = keys.length === 1 ? (body as Record<string, unknown>)[keys[0]] : undefined;
  return isObject(fault) && fault.code === a.status && typeof fault.message === 'string' ? undefined : `a ${a.status} not a Nova fault`;
}

const shown = (r: FuzzRequest, a: Answer) => {
  const body = r.body === undefined ? '' : String(r.body);
  return (
    `${r.method} ${r.api}${r.path.length > 400 ? `${r.path.slice(0, 400)}…(${r.path.length})` : r.path}\n  headers ${JSON.stringify(r.headers)}\n` +
    `  body ${body.length > 600 ? `${JSON.stringify(body.slice(0, 600))}…(${body.length} chars)` : JSON.stringify(body)}\n  → ${a.status} ${a.text.slice(0, 400)}${a.error ? ` (${a.error})` : ''}`
  );
};

export interface Tally {
  sent: number;
  skipped: Record<string, number>;
  statuses: Record<number, number>;
}

/**
 * Sends generated requests in concurrent batches until `total` were answered; fails with the shrunk
 * counterexample (fast-check's replay seed and path in the message) on the first answer with a problem.
 */
export async function fuzz(
  bases: Record<ApiName, string>,
  requests: fc.Arbitrary<FuzzRequest>,
  total: number,
  options: { concurrency?: number; seed?: number } = {},
): Promise<Tally> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 16 });
  const tally: Tally = { sent: 0, skipped: {}, statuses: {} };
  const batch = options.concurrency ?? 16;
  // A fixed default seed: every run sends the same requests, so CI is repeatable; FUZZ_SEED=<n> explores others.
  let seed = options.seed ?? Number(process.env.FUZZ_SEED ?? 20_261_206);
  try {
    while (tally.sent < total) {
      const runs = Math.ceil((total - tally.sent) / batch);
      const details = await fc.check(
        fc.asyncProperty(fc.array(requests, { minLength: 1, maxLength: batch }), async (rs) => {
          const live = rs.filter((r) => {
            const known = KNOWN_ELSEWHERE.find((k) => k.matches(r));
            if (known) tally.skipped[known.what] = (tally.skipped[known.what] ?? 0) + 1;
            return !known;
          });
          const answers = await Promise.all(live.map((r) => send(agent, bases[r.api], r)));
          tally.sent += live.length;
          if (process.env.FUZZ_VERBOSE && Math.floor(tally.sent / 500) !== Math.floor((tally.sent - live.length) / 500)) {
            appendFileSync(process.env.FUZZ_VERBOSE, `fuzz: ${tally.sent} sent, ${JSON.stringify(tally.statuses)}\n`);
          }
          const problems = answers.flatMap((a, i) => {
            tally.statuses[a.status] = (tally.statuses[a.status] ?? 0) + 1;
            const problem = problemWith(live[i], a);
            return problem ? [`${problem}:\n${shown(live[i], a)}`] : [];
          });
          if (problems.length) throw new Error(problems.join('\n'));
        }),
        { numRuns: runs, seed },
      );
      if (details.failed) {
        const error = details.errorInstance as Error | undefined;
        throw new Error(
          `generated request answered wrongly (replay: FUZZ_SEED=${details.seed}, path ${details.counterexamplePath}, shrunk ${details.numShrinks} times):\n${error?.message ?? String(error)}`,
        );
      }
      seed = (seed * 48271) % 2147483647;
    }
  } finally {
    agent.destroy();
  }
  return tally;
}
