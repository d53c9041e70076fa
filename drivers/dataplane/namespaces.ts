import { run } from './command.js';

/** The network namespaces named `prefix` or `prefix-…`: a cloud's own. */
export async function listNamespaces(prefix: string): Promise<string[]> {
  const out = (await run('ip', ['-j', 'netns', 'list'])).trim();
  const all = out ? (JSON.parse(out) as Array<{ name: string }>).map((n) => n.name) : [];
  return all.filter((name) => name === prefix || name.startsWith(`${prefix}-`)).sort();
}

/** Makes namespace `name` with its loopback up, unless it exists. Answers whether it made it. */
export async function ensureNamespace(name: string, existing: readonly string[]): Promise<boolean> {
  if (existing.includes(name)) return false;
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return true;
}

/** Deletes a namespace; its interfaces go with it (a veth's other end too), and with them its nftables tables. */
export const deleteNamespace = (name: string) => run('ip', ['netns', 'delete', name]).then(() => undefined);
