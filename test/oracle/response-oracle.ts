import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

// Tempest, run by Debian's python3 in one process per cloud, checks every compute response
// (oracle.py says how). Test machinery: the test harness attaches it (checkResponses), never the product.

/** Debian's interpreter: python3-tempest is installed for it, whatever python3 is first on PATH. */
export const ORACLE_PYTHON = '/usr/bin/python3';

// Tests run from the sources (tsx): the script is next to this module.
const script = fileURLToPath(new URL('./oracle.py', import.meta.url));

/** One response as the API is about to send it. */
export interface ResponseSample {
  method: string;
  /** Below the host, the project already taken out of the path (/v2.1/servers/…). */
  path: string;
  /** The action of a POST …/action (the request body's key). */
  action?: string;
  version: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface Verdict {
  /** The route as the oracle's table writes it, e.g. `GET /v2.1/servers/{server_id}`. */
  route: string;
  /** The schema applied, e.g. `tempest ServersClient.get_server (v2_79) + stratus 2.90`. */
  schema?: string;
  ok?: true;
  violation?: string;
  /** Why there was nothing to check against. */
  unchecked?: string;
}

export interface Coverage {
  checked: Array<{ route: string; schema: string; responses: number }>;
  unchecked: Array<{ route: string; why: string; responses: number }>;
  violations: Array<{ route: string; schema: string; version: string; status: number; violation: string }>;
}

const CACHE_LIMIT = 5_000;
const TALLY_LIMIT = 2_000;

export class ResponseOracle {
  private readonly pending = new Map<number, { resolve(v: Verdict): void; reject(e: Error): void }>();
  private nextId = 1;
  private failure: Error | undefined;
  private readonly exited: Promise<void>;
  // Identical responses (a poll seeing nothing change) are judged once.
  private readonly passed = new Map<string, Verdict>();
  private readonly checked = new Map<string, { route: string; schema: string; responses: number }>();
  private readonly unchecked = new Map<string, { route: string; why: string; responses: number }>();
  private readonly violations: Coverage['violations'] = [];

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly logger: Logger,
    private readonly stderr: string[],
  ) {
    // A write to a process that died fails through `exited`, not as an unhandled error.
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.fail(new Error(`compute response oracle exited (${signal ?? code}): ${this.stderrTail()}`));
        resolve();
      }),
    );
  }

  /** Starts the oracle process and waits until Tempest is imported. */
  // Generous: importing Tempest takes seconds on an idle machine and far longer on a loaded one.
  static async start(logger: Logger, timeoutMs = 120_000): Promise<ResponseOracle> {
    if (!existsSync(script)) throw new Error(`compute response oracle: ${script} not found`);
    if (!existsSync(ORACLE_PYTHON)) throw new Error(`compute response oracle: ${ORACLE_PYTHON} not found (install python3-tempest)`);
    const started = performance.now();
    const child = spawn(ORACLE_PYTHON, ['-B', script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    });
    const stderr: string[] = [];
    child.stderr.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      if (stderr.length > 50) stderr.shift();
    });
    const oracle = new ResponseOracle(child, logger, stderr);
    const lines = createInterface({ input: child.stdout });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`compute response oracle did not start within ${timeoutMs} ms: ${oracle.stderrTail()}`)),
        timeoutMs,
      );
      const settle = (error?: Error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      child.once('exit', () => settle(new Error(`compute response oracle did not start: ${oracle.stderrTail()}`)));
      child.once('error', (e) => settle(new Error(`compute response oracle did not start: ${e.message}`)));
      lines.once('line', (line) => settle(JSON.parse(line).ready ? undefined : new Error(`compute response oracle: unexpected first line ${line}`)));
    });
    try {
      await ready;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    lines.on('line', (line) => oracle.answer(line));
    logger.info({ pid: child.pid, ms: Math.round(performance.now() - started) }, 'compute response oracle started');
    return oracle;
  }

  /** The oracle process, to see it gone once its cloud stopped. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The oracle's verdict on one response; rejects only when the oracle itself failed. */
  async check(sample: ResponseSample): Promise<Verdict> {
    // Request ids differ in every response and are only ever checked to be strings: not part of the key.
    const { 'x-openstack-request-id': _a, 'x-compute-request-id': _b, ...stable } = sample.headers;
    const key = createHash('sha1')
      .update(JSON.stringify({ ...sample, headers: stable }))
      .digest('base64');
    const verdict = this.passed.get(key) ?? (await this.ask({ ...sample }));
    if (verdict.ok && !this.passed.has(key)) {
      if (this.passed.size >= CACHE_LIMIT) this.passed.clear();
      this.passed.set(key, verdict);
    }
    this.tally(sample, verdict);
    return verdict;
  }

  /** Checks the oracle's own tables: every route resolves to a Tempest schema, every delta to a route. */
  async selfcheck(): Promise<{ problems: string[]; routes: number }> {
    return this.ask({ op: 'selfcheck' }) as unknown as Promise<{ problems: string[]; routes: number }>;
  }

  /** Which routes were checked against which schema, which had none, and what was violated. */
  coverage(): Coverage {
    const byRoute = <T extends { route: string }>(m: Map<string, T>) => [...m.values()].sort((a, b) => a.route.localeCompare(b.route));
    return { checked: byRoute(this.checked), unchecked: byRoute(this.unchecked), violations: [...this.violations] };
  }

  /** Stops the process, logging what was checked. */
  async stop(): Promise<void> {
    const { checked, unchecked, violations } = this.coverage();
    this.logger.info(
      {
        checked: checked.map((c) => `${c.route} — ${c.schema} ×${c.responses}`),
        unchecked: unchecked.map((u) => `${u.route} — ${u.why} ×${u.responses}`),
        violations: violations.length,
      },
      'compute response check summary',
    );
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  private ask(message: Record<string, unknown>): Promise<Verdict> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Verdict>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ ...message, id })}\n`);
    });
  }

  private answer(line: string): void {
    let message: Verdict & { id?: number; error?: string };
    try {
      message = JSON.parse(line);
    } catch {
      this.logger.warn({ line }, 'compute response oracle wrote a line that is not JSON');
      return;
    }
    const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id!);
    if (message.error) waiting.reject(new Error(`compute response oracle failed: ${message.error}`));
    else waiting.resolve(message);
  }

  private tally(sample: ResponseSample, verdict: Verdict): void {
    if (verdict.unchecked !== undefined) {
      const key = `${verdict.route}|${verdict.unchecked}`;
      const entry =
        this.unchecked.get(key) ?? (this.unchecked.size < TALLY_LIMIT ? { route: verdict.route, why: verdict.unchecked, responses: 0 } : undefined);
      if (entry) this.unchecked.set(key, { ...entry, responses: entry.responses + 1 });
      return;
    }
    const schema = verdict.schema ?? '';
    const key = `${verdict.route}|${schema}`;
    const entry = this.checked.get(key) ?? (this.checked.size < TALLY_LIMIT ? { route: verdict.route, schema, responses: 0 } : undefined);
    if (entry) this.checked.set(key, { ...entry, responses: entry.responses + 1 });
    if (verdict.violation && this.violations.length < TALLY_LIMIT) {
      this.violations.push({ route: verdict.route, schema, version: sample.version, status: sample.status, violation: verdict.violation });
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
  }

  private stderrTail(): string {
    return this.stderr.join('').slice(-2_000).trim() || '(nothing on stderr)';
  }
}
