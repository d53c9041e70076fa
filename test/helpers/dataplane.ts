import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cloudIdOf } from '../../drivers/dataplane/names.js';
import type { InstanceRow } from '../../models/instance.js';
import { teardown } from '../../drivers/dataplane/reconcile.js';

/** Runs a command; resolves with its exit code and output whatever the code (tests assert on both). */
export function sh(command: string, args: readonly string[], timeoutMs = 20_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

export const inNs = (ns: string, ...args: string[]) => sh('ip', ['netns', 'exec', ns, ...args]);

/** A test cloud's data-plane state directory and id, and namespaces standing in for its guests (the test's own, not the cloud's). */
export interface TestPlane {
  /** The state directory; the data plane's files go to its `dataplane` folder. */
  readonly stateDir: string;
  readonly cloudId: string;
  readonly guests: string[];
  guest(name: string): Promise<string>;
  /** Asks the guest namespace's busybox udhcpc for a lease; the address is put on its interface. */
  dhcp(guestNs: string, iface?: string): Promise<{ code: number; lease: Record<string, string> }>;
  cleanup(): Promise<void>;
}

const DHCP_SCRIPT = `#!/bin/sh
if [ "$1" = bound ]; then
  ip addr add "$ip/$mask" dev "$interface"
  echo "LEASE|ip=$ip|mask=$mask|router=$router|staticroutes=$staticroutes|hostname=$hostname|mtu=$mtu|dns=$dns"
fi
`;

export function testPlane(): TestPlane {
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-dataplane-'));
  const script = join(stateDir, 'udhcpc.sh');
  writeFileSync(script, DHCP_SCRIPT, { mode: 0o755 });
  const cloudId = cloudIdOf(stateDir);
  const tag = randomBytes(3).toString('hex');
  const guests: string[] = [];
  return {
    stateDir,
    cloudId,
    guests,
    async guest(name) {
      const ns = `sdtest-${tag}-${name}`;
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      guests.push(ns);
      return ns;
    },
    async dhcp(guestNs, iface = 'eth0') {
      const { code, out } = await inNs(
        guestNs,
        'busybox',
        'udhcpc',
        '-i',
        iface,
        '-n',
        '-q',
        '-f',
        '-t',
        '6',
        '-T',
        '1',
        '-s',
        script,
        '-O',
        'staticroutes',
        '-O',
        'mtu',
      );
      const line = /LEASE\|(.*)/.exec(out)?.[1] ?? '';
      const lease = Object.fromEntries(line.split('|').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      return { code, lease };
    },
    async cleanup() {
      await teardown(cloudId, join(stateDir, 'dataplane'));
      for (const ns of guests) await sh('ip', ['netns', 'delete', ns]);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** An instance row with what the data plane and the metadata service read; the rest plain defaults. */
export function instanceRow(uuid: string, projectId: string, hostname: string, overrides: Partial<InstanceRow> = {}): InstanceRow {
  const now = new Date();
  return {
    uuid,
    project_id: projectId,
    user_id: 'u-1',
    display_name: hostname,
    display_description: null,
    hostname,
    vm_state: 'active',
    task_state: null,
    power_state: 1,
    host: 'qemu-1',
    node: 'qemu-1',
    availability_zone: 'nova',
    flavor_id: 'f-1',
    flavor_name: 'm1.tiny',
    memory_mb: 256,
    vcpus: 1,
    root_gb: 1,
    ephemeral_gb: 0,
    image_ref: 'c0ffee00-0000-4000-8000-000000000001',
    key_name: null,
    locked: false,
    locked_reason: null,
    reservation_id: 'r-1',
    launch_index: 0,
    fault_code: null,
    fault_message: null,
    fault_details: null,
    metadata: '{}',
    tags: '[]',
    user_data: null,
    access_ip_v4: null,
    access_ip_v6: null,
    config_drive: '',
    auto_disk_config: false,
    root_device_name: null,
    security_groups: '["default"]',
    trusted_certs: null,
    swap: 0,
    flavor_extra_specs: '{}',
    requested_host: null,
    force_host: false,
    launched_at: now,
    terminated_at: null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
    ...overrides,
  };
}
