import type { ExecutionContext } from 'ava';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventually } from './drive.js';

// The product's entry, and the same entry under the test harness (test-only configuration honoured,
// every compute response checked against Tempest's schemas).
const ENTRIES = {
  product: fileURLToPath(new URL('../../bin/stratus.ts', import.meta.url)),
  harness: fileURLToPath(new URL('../harness/stratus-test.ts', import.meta.url)),
};
export type Entry = keyof typeof ENTRIES;

export interface CloudProcess {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, any>>;
  readonly stderr: string[];
  started(): Record<string, any>;
  stop(): Promise<number | null>;
}

/** Runs `stratus <args>` as its own process, collecting its JSON log lines. */
export function stratusProcess(args: string[], env: Record<string, string>, entry: Entry = 'product'): CloudProcess {
  const child = spawn(process.execPath, ['--import=tsx', ENTRIES[entry], ...args], {
    // Test clouds run simulated hosts only unless a test asks for the real one: no private QEMU daemon to pay for.
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/root',
      STRATUS_LIBVIRT_REAL_HOST: 'false',
      STRATUS_QEMU_LINUX_IMAGE: 'false',
      // No data plane (namespaces, rules, DHCP) unless a test asks for it: test clouds run as root.
      STRATUS_DATAPLANE_ENABLED: 'off',
      // The console proxies on ports of their own: parallel test clouds never collide.
      STRATUS_LISTEN_CONSOLE: '0',
      STRATUS_CONSOLES_SPICE_PORT: '0',
      STRATUS_CONSOLES_SERIAL_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, any>> = [];
  const stderr: string[] = [];
  child.stdout.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n').filter(Boolean)) {
      try {
        lines.push(JSON.parse(l));
      } catch {
        /* not a log line */
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
  return {
    child,
    lines,
    stderr,
    started: () => lines.find((l) => l.msg === 'stratus started')!,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

/** Starts the cloud (under the test harness unless told) and waits (bounded) until it says it has started. */
export async function startCloudProcess(env: Record<string, string>, entry: Entry = 'harness'): Promise<CloudProcess> {
  const cloud = stratusProcess(['start'], env, entry);
  await eventually(() => {
    if (cloud.child.exitCode !== null) throw new Error(`stratus exited: ${cloud.stderr.join('')}`);
    return cloud.lines.some((l) => l.msg === 'stratus started');
  }, 60_000);
  return cloud;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs Debian's `openstack` client against a clouds.yaml. */
export function openstack(cloudsYaml: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    // stdin is closed at once: `image create` without --file would otherwise wait to read image data from it.
    const child = execFile(
      'openstack',
      args,
      { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', OS_CLIENT_CONFIG_FILE: cloudsYaml }, timeout: 120_000 },
      (error, stdout, stderr) => {
        let json: unknown;
        try {
          json = stdout.trim() ? JSON.parse(stdout) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, json });
      },
    );
    child.stdin?.end();
  });
}

/** The `openstack` client as one cloud of a clouds.yaml: `os` runs a command, `ok` also asserts it succeeded and returns its JSON. */
export function openstackAs(t: ExecutionContext, cloudsYaml: string, cloud: string) {
  const os = (...args: string[]) => openstack(cloudsYaml, ['--os-cloud', cloud, ...args]);
  const ok = async (...args: string[]) => {
    const r = await os(...args);
    t.is(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}`);
    return r.json;
  };
  return { os, ok };
}

/** Runs a Python script (openstacksdk) with the same clouds.yaml. */
export function python(cloudsYaml: string, script: string, args: string[] = []): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/python3',
      ['-c', script, ...args],
      { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', OS_CLIENT_CONFIG_FILE: cloudsYaml }, timeout: 300_000 },
      (error, stdout, stderr) => {
        let json: unknown;
        try {
          json = stdout.trim() ? JSON.parse(stdout.trim().split('\n').pop()!) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, json });
      },
    );
  });
}
