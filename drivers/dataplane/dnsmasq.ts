import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { exists as alive } from '../qemu/processes.js';
import { run } from './command.js';
import type { DhcpPlan, DhcpSubnet } from './plan.js';

/** Where guests find the metadata service: a route to it through the DHCP port (as Neutron's isolated metadata). */
export const METADATA_ADDRESS = '169.254.169.254';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const DOMAIN = /^[a-z0-9]([a-z0-9.-]{0,200}[a-z0-9])?$/i;

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

const maskOf = (length: number) => [0, 8, 16, 24].map((shift) => ((0xffffffff << (32 - length)) >>> (24 - shift)) & 0xff).join('.');

/** A running dnsmasq of this cloud: found by its command line naming its configuration under `root`. */
export interface DnsmasqProcess {
  readonly pid: number;
  readonly networkId: string;
}

/** The dnsmasq processes whose configuration lives under `root` (one folder per network), whatever their pid files say. */
export function findDnsmasq(root: string): DnsmasqProcess[] {
  const prefix = `--conf-file=${resolve(root)}/`;
  const found: DnsmasqProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args[0]?.endsWith('dnsmasq')) continue;
    const conf = args.find((a) => a.startsWith(prefix));
    const networkId = conf?.slice(prefix.length).split('/')[0];
    if (networkId) found.push({ pid: Number(entry), networkId });
  }
  return found;
}

/** What dnsmasq's files for one network should hold. */
export function dnsmasqFiles(dir: string, iface: string, mtu: number, dhcp: DhcpPlan) {
  const domain = DOMAIN.test(dhcp.domain) ? dhcp.domain : 'openstacklocal';
  const conf = [
    'no-resolv',
    'no-hosts',
    'bind-interfaces',
    `interface=${iface}`,
    'except-interface=lo',
    'user=root',
    'group=root',
    `pid-file=${join(dir, 'pid')}`,
    `dhcp-leasefile=${join(dir, 'leases')}`,
    `dhcp-hostsfile=${join(dir, 'hosts')}`,
    `dhcp-optsfile=${join(dir, 'opts')}`,
    `addn-hosts=${join(dir, 'names')}`,
    `domain=${domain}`,
    `local=/${domain}/`,
    'quiet-dhcp',
    'dhcp-authoritative',
  ];
  const opts: string[] = [];
  dhcp.subnets.forEach((subnet: DhcpSubnet, i) => {
    const [network, lengthText] = subnet.cidr.split('/');
    const length = Number(lengthText);
    if (isIP(network ?? '') !== 4 || !(length >= 0 && length <= 32) || isIP(subnet.address) !== 4) return;
    const tag = `subnet${i}`;
    // `static`: only the addresses of the host entries are ever handed out.
    conf.push(`dhcp-range=set:${tag},${network},static,${maskOf(length)},86400s`);
    const gateway = subnet.gateway && isIP(subnet.gateway) === 4 ? subnet.gateway : undefined;
    opts.push(gateway ? `tag:${tag},option:router,${gateway}` : `tag:${tag},option:router`);
    const servers = subnet.dnsNameservers.filter((s) => isIP(s) === 4);
    opts.push(`tag:${tag},option:dns-server,${(servers.length ? servers : [subnet.address]).join(',')}`);
    // A client given classless routes ignores the router option (RFC 3442), so the default route goes in too.
    opts.push(`tag:${tag},option:classless-static-route,${METADATA_ADDRESS}/32,${subnet.address}${gateway ? `,0.0.0.0/0,${gateway}` : ''}`);
    opts.push(`tag:${tag},option:mtu,${mtu}`);
  });
  const entries = dhcp.hosts.filter((h) => MAC.test(h.mac) && isIP(h.ip) === 4);
  const hosts = entries.map((h) => (HOSTNAME.test(h.hostname) ? `${h.mac},${h.ip},${h.hostname}` : `${h.mac},${h.ip}`));
  const names = entries.filter((h) => HOSTNAME.test(h.hostname)).map((h) => `${h.ip} ${h.hostname}.${domain} ${h.hostname}`);
  const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');
  return { 'dnsmasq.conf': text(conf), opts: text(opts), hosts: text(hosts), names: text(names) };
}

async function stop(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * One network's dnsmasq, running detached inside namespace `ns` on `iface`: started when missing, sent SIGHUP
 * when its host entries changed (it reads them again), started again when its configuration changed; extra
 * copies stopped. Answers what it did.
 */
export async function ensureDnsmasq(
  root: string,
  networkId: string,
  ns: string,
  iface: string,
  mtu: number,
  dhcp: DhcpPlan,
  running: readonly DnsmasqProcess[],
): Promise<'started' | 'restarted' | 'reloaded' | 'unchanged'> {
  const dir = join(resolve(root), networkId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = dnsmasqFiles(dir, iface, mtu, dhcp);
  const confChanged = read(join(dir, 'dnsmasq.conf')) !== files['dnsmasq.conf'];
  let dataChanged = false;
  for (const [name, text] of Object.entries(files)) {
    if (read(join(dir, name)) === text) continue;
    if (name !== 'dnsmasq.conf') dataChanged = true;
    writeFileSync(join(dir, name), text, { mode: 0o600 });
  }
  const mine = running.filter((p) => p.networkId === networkId);
  for (const extra of mine.slice(1)) await stop(extra.pid);
  const current = mine[0];
  if (current && !confChanged) {
    if (!dataChanged) return 'unchanged';
    process.kill(current.pid, 'SIGHUP');
    return 'reloaded';
  }
  if (current) await stop(current.pid);
  // dnsmasq daemonizes itself and its first process exits once the daemon is ready (or says why it failed).
  await run('ip', ['netns', 'exec', ns, 'dnsmasq', `--conf-file=${join(dir, 'dnsmasq.conf')}`]);
  return current ? 'restarted' : 'started';
}

export async function stopDnsmasq(root: string, process_: DnsmasqProcess): Promise<void> {
  await stop(process_.pid);
  rmSync(join(resolve(root), process_.networkId), { recursive: true, force: true });
}
