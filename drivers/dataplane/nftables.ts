import { runIn } from './command.js';
import type { RenderedRules } from './nft-rules.js';

// By its path: under npm, node_modules/.bin comes first in PATH, and a JavaScript tool there is called `nft` too.
export const NFT = '/usr/sbin/nft';

type Family = 'bridge' | 'inet';

interface NftTable {
  family: string;
  name: string;
}

/** The tables in namespace `ns`. */
export async function listTables(ns: string): Promise<NftTable[]> {
  const out = await runIn(ns, NFT, ['list', 'tables']);
  return [...out.matchAll(/^table (\S+) (\S+)$/gm)].map((m) => ({ family: m[1], name: m[2] }));
}

/** A table's comment, where its digest is kept (nft 1.0.6 leaves comments out of its JSON). */
async function commentOf(ns: string, family: string, table: string): Promise<string> {
  const out = await runIn(ns, NFT, ['-t', 'list', 'table', family, table]);
  return /^\s*comment "([^"]*)"$/m.exec(out)?.[1] ?? '';
}

/**
 * Puts the rendered tables in place where their digest differs from the one in place: each table is deleted and
 * made again in one nft transaction, so no packet ever sees a half-written table. Answers which families it wrote.
 */
export async function applyRules(ns: string, table: string, rules: RenderedRules): Promise<Family[]> {
  const present = new Map<string, string>();
  for (const t of await listTables(ns)) if (t.name === table) present.set(t.family, await commentOf(ns, t.family, table));
  const written: Family[] = [];
  let script = '';
  for (const family of ['bridge', 'inet'] as const) {
    if (present.get(family) === `stratus ${rules.digests[family]}`) continue;
    script += `add table ${family} ${table}\ndelete table ${family} ${table}\n${rules[family]}`;
    written.push(family);
  }
  if (script) await runIn(ns, NFT, ['-f', '-'], script);
  return written;
}

/** Packets dropped for a port so far, both tables together (0 when it has no counter). */
export async function droppedPackets(ns: string, table: string, counter: string): Promise<number> {
  let total = 0;
  for (const family of ['bridge', 'inet'] as const) {
    try {
      const out = JSON.parse(await runIn(ns, NFT, ['-j', 'list', 'counter', family, table, counter])) as {
        nftables: Array<{ counter?: { packets: number } }>;
      };
      total += out.nftables.reduce((sum, item) => sum + (item.counter?.packets ?? 0), 0);
    } catch {
      /* no such counter in this family */
    }
  }
  return total;
}
