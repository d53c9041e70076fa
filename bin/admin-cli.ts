import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../cluster.config.js';

// `stratus actor …`, `stratus dead-letter …` and `stratus node …`: the operator's API from a shell. Credentials from the
// environment (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, as OpenStack clients read them)
// or else the `stratus` cloud of clouds.yaml (OS_CLOUD names another); the API at STRATUS_ADMIN_URL or
// this node's configured `listen.admin` port.

export const adminUsage = `  actor list [--kind K] [--status S] [--limit N]   actors live on the node, and every failed one
  actor show KIND ID                               one actor, with its recent messages
  actor restart KIND ID                            clear a failed actor (or reload a live one's state)
  actor stop KIND ID                               stop an actor's activation once its mailbox is empty
  dead-letter list [--kind K] [--id ID] [--limit N]
  dead-letter retry ID                             send a dead letter again (under its own id)
  dead-letter drop ID                              forget a dead letter
  node list                                        the cluster's nodes: status, roles, lease, load
  node show ID                                     one node, with its pinned actors
  node drain ID                                    hand a node's movable actors over; it takes no new ones`;

interface Credentials {
  authUrl: string;
  username: string;
  password: string;
  project: string;
  userDomain: string;
  projectDomain: string;
}

class CliError extends Error {}

const unquote = (v: string) => {
  const t = v.trim();
  try {
    return t.startsWith('"') ? (JSON.parse(t) as string) : t;
  } catch {
    return t;
  }
};

/** One cloud of a clouds.yaml as Stratus writes it (two-space indents, `auth:` keys one level down). */
function fromCloudsYaml(path: string, cloud: string): Credentials | undefined {
  if (!existsSync(path)) return undefined;
  const lines = readFileSync(path, 'utf8').split('\n');
  const start = lines.indexOf(`  ${cloud}:`);
  if (start < 0) return undefined;
  const values = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (/^ {0,2}\S/.test(line)) break;
    const m = /^\s+([a-z_]+):\s*(.*)$/.exec(line);
    if (m && m[2]) values.set(m[1], unquote(m[2]));
  }
  const get = (k: string) => values.get(k);
  if (!get('auth_url') || !get('username') || !get('password')) return undefined;
  return {
    authUrl: get('auth_url')!,
    username: get('username')!,
    password: get('password')!,
    project: get('project_name') ?? 'admin',
    userDomain: get('user_domain_name') ?? 'Default',
    projectDomain: get('project_domain_name') ?? 'Default',
  };
}

function credentials(config: Config, env: NodeJS.ProcessEnv): Credentials {
  if (env.OS_AUTH_URL && env.OS_USERNAME && env.OS_PASSWORD) {
    return {
      authUrl: env.OS_AUTH_URL,
      username: env.OS_USERNAME,
      password: env.OS_PASSWORD,
      project: env.OS_PROJECT_NAME ?? 'admin',
      userDomain: env.OS_USER_DOMAIN_NAME ?? 'Default',
      projectDomain: env.OS_PROJECT_DOMAIN_NAME ?? 'Default',
    };
  }
  const cloud = env.OS_CLOUD ?? 'stratus';
  const found = fromCloudsYaml(env.OS_CLIENT_CONFIG_FILE ?? config.identity.cloudsYaml, cloud);
  if (!found)
    throw new CliError(`no credentials: set OS_AUTH_URL, OS_USERNAME and OS_PASSWORD, or give cloud '${cloud}' in ${config.identity.cloudsYaml}`);
  return found;
}

async function login(c: Credentials): Promise<string> {
  const url = `${c.authUrl.replace(/\/+$/, '')}/auth/tokens`;
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: c.username, password: c.password, domain: { name: c.userDomain } } } },
      scope: { project: { name: c.project, domain: { name: c.projectDomain } } },
    },
  };
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 201) throw new CliError(`login to ${url} failed: ${await errorText(r)}`);
  return r.headers.get('x-subject-token')!;
}

async function errorText(r: Response): Promise<string> {
  const text = await r.text();
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    return `${body.error?.message ?? text} (HTTP ${r.status})`;
  } catch {
    return `${text.slice(0, 200)} (HTTP ${r.status})`;
  }
}

function options(args: string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const value = args[++i];
    if (value === undefined) throw new CliError(`${a} needs a value`);
    flags.set(a.slice(2), value);
  }
  return { positional, flags };
}

const query = (flags: Map<string, string>, names: string[]) => {
  const q = new URLSearchParams();
  for (const n of names) if (flags.has(n)) q.set(n, flags.get(n)!);
  const s = q.toString();
  return s ? `?${s}` : '';
};

const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const cell = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** Runs one `actor …` or `dead-letter …` command; answers the process's exit code. */
export async function adminCommand(
  config: Config,
  command: string,
  args: string[],
  env = process.env,
  out = console.log,
  err = console.error,
): Promise<number> {
  try {
    const {
      positional: [verb, ...rest],
      flags,
    } = options(args);
    const base = (env.STRATUS_ADMIN_URL ?? `http://${config.publicHost}:${config.listen.admin}`).replace(/\/+$/, '');
    const call = async <T>(method: string, route: string): Promise<T> => {
      const token = await login(credentials(config, env));
      const r = await fetch(`${base}/v1/${route}`, { method, headers: { 'x-auth-token': token } });
      if (r.status >= 400) throw new CliError(await errorText(r));
      return (r.status === 204 ? undefined : await r.json()) as T;
    };
    const two = () => {
      if (rest.length !== 2) throw new CliError(`usage: stratus ${command} ${verb} KIND ID`);
      return path(rest[0], rest[1]);
    };
    const one = () => {
      if (rest.length !== 1) throw new CliError(`usage: stratus ${command} ${verb} ID`);
      return path(rest[0]);
    };
    if (command === 'actor' && verb === 'list') {
      const body = await call<{ actors: Array<Record<string, unknown>> }>('GET', `actors${query(flags, ['kind', 'status', 'limit'])}`);
      out(table(body.actors, ['kind', 'id', 'node', 'status', 'failure', 'restarts', 'mailboxDepth']));
    } else if (command === 'actor' && verb === 'show') {
      out(JSON.stringify((await call<{ actor: unknown }>('GET', `actors/${two()}`)).actor, null, 2));
    } else if (command === 'actor' && (verb === 'restart' || verb === 'stop')) {
      const body = await call<{ actor: { status: string } }>('POST', `actors/${two()}/${verb}`);
      out(`${verb === 'restart' ? 'restarted' : 'stopping'}: ${rest.join('/')} (${body.actor.status})`);
    } else if (command === 'node' && verb === 'list') {
      const body = await call<{ nodes: Array<{ load: { activations: number; mailbox: number } } & Record<string, unknown>> }>('GET', 'nodes');
      out(
        table(
          body.nodes.map((n) => ({ ...n, self: n.self ? '*' : '', activations: n.load.activations, mailbox: n.load.mailbox })),
          ['id', 'self', 'status', 'roles', 'address', 'lease_expires_at', 'activations', 'mailbox'],
        ),
      );
    } else if (command === 'node' && verb === 'show') {
      out(JSON.stringify((await call<{ node: unknown }>('GET', `nodes/${one()}`)).node, null, 2));
    } else if (command === 'node' && verb === 'drain') {
      const body = await call<{ node: { status: string } }>('POST', `nodes/${one()}/drain`);
      out(`draining: ${rest[0]} (${body.node.status})`);
    } else if (command === 'dead-letter' && verb === 'list') {
      const body = await call<{ dead_letters: Array<{ to: { kind: string; id: string }; at: number } & Record<string, unknown>> }>(
        'GET',
        `dead-letters${query(flags, ['kind', 'id', 'limit'])}`,
      );
      out(
        table(
          body.dead_letters.map((d) => ({ ...d, to: `${d.to.kind}/${d.to.id}`, at: new Date(d.at).toISOString() })),
          ['id', 'to', 'type', 'attempts', 'at', 'reason'],
        ),
      );
    } else if (command === 'dead-letter' && verb === 'retry') {
      const body = await call<{ dead_letter: { retried_as: string } }>('POST', `dead-letters/${one()}/retry`);
      out(`sent again: ${rest[0]} as ${body.dead_letter.retried_as}`);
    } else if (command === 'dead-letter' && verb === 'drop') {
      await call<undefined>('DELETE', `dead-letters/${one()}`);
      out(`dropped: ${rest[0]}`);
    } else {
      err(`usage:\n${adminUsage}`);
      return 2;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof CliError) && !(error instanceof TypeError)) throw error;
    // fetch's TypeError: the API could not be reached at all.
    err(
      `Error: ${error instanceof TypeError ? `cannot reach the admin API: ${(error.cause as Error | undefined)?.message ?? error.message}` : error.message}`,
    );
    return 1;
  }
}
