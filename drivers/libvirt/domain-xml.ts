/** What a domain is made from: the instance's identity and its flavor's size. */
export interface DomainSpec {
  readonly uuid: string;
  readonly memoryMb: number;
  readonly vcpus: number;
  /** libvirt's domain type: 'test' on the test driver, 'kvm' or 'qemu' for real VMs. */
  readonly type: 'test' | 'kvm' | 'qemu';
  /** A disk image file for real VMs (raw, on vda); the test driver needs none. */
  readonly diskPath?: string;
  /** The disks of a real VM made from an image (in place of diskPath): root, ephemeral, swap, an ISO's cdrom. */
  readonly disks?: readonly GuestDisk[];
  /**
   * How QEMU caches the disks: 'none' (O_DIRECT) unless the instance folder's filesystem refuses O_DIRECT (see
   * drivers/qemu/disk-cache.ts); 'none' is also what live migration accepts without the unsafe flag.
   */
  readonly diskCache?: 'none' | 'writethrough';
  /** Further disks (volumes), on a virtio-scsi controller so that they can be detached for real. */
  readonly volumes?: readonly VolumeDisk[];
  /** The serial console: a TCP server QEMU runs for one client, its output also kept in a log file. */
  readonly serial?: SerialConsole;
  /** The graphical consoles: VNC with a password, and SPICE. */
  readonly graphics?: GraphicalConsoles;
  /** How long a clean shutdown of this guest may take (its image's os_shutdown_timeout), kept in the domain's metadata. */
  readonly shutdownTimeoutS?: number;
  /** The guest's NICs, in the order it sees them (eth0 first). */
  readonly interfaces?: readonly GuestInterface[];
}

/**
 * One NIC: a tap the data plane made beforehand (on the network's bridge, under its rules), which libvirt opens as
 * it is (`managed='no'`) rather than making and naming one itself; the port's MAC and the network's MTU.
 */
export interface GuestInterface {
  readonly mac: string;
  readonly tap: string;
  readonly mtu: number;
}

/** The namespace of what Stratus keeps in a domain's <metadata>. */
export const METADATA_NS = 'https://stratus.invalid/xmlns/instance/1';

/** The clean-shutdown timeout a domain's XML carries, if any. */
export function shutdownTimeoutOf(xml: string): number | undefined {
  const found = /<(?:\w+:)?shutdown-timeout>(\d+)</.exec(xml)?.[1];
  return found === undefined ? undefined : Number(found);
}

/** One disk of a real VM, with the format it is opened as (never probed by QEMU). */
export interface GuestDisk {
  readonly path: string;
  readonly format: 'raw' | 'qcow2';
  readonly device: 'disk' | 'cdrom';
  readonly target: string;
  readonly bus: 'virtio' | 'ide';
  readonly readonly?: boolean;
}

export interface VolumeDisk {
  readonly path: string;
  /** The volume's id, shown to the guest as the disk's serial number (/dev/disk/by-id). */
  readonly serial: string;
}

export interface SerialConsole {
  readonly host: string;
  readonly port: number;
  /** Usually <instance dir>/console.log; virtlogd writes and rotates it. */
  readonly logPath: string;
}

export interface GraphicalConsoles {
  readonly listen: string;
  /** VNC authentication uses at most 8 characters of it. */
  readonly vncPassword: string;
  /**
   * Without SPICE (default with): in a network namespace whose only address is the loopback's, the SPICE server's
   * name lookup (AI_ADDRCONFIG) finds no address family and QEMU refuses to start.
   */
  readonly spice?: boolean;
}

const escape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

const whole = (what: string, n: number) => {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what} must be a whole number, not ${n}`);
  return String(n);
};

/**
 * Domain XML named by the instance's UUID, so every operation can find its domain again
 * after any crash. No <cpu> element: host-model and passthrough abort QEMU on this kind of host.
 */
export function domainXml(spec: DomainSpec): string {
  const name = escape(spec.uuid);
  const lifecycle = spec.type === 'test' ? '' : '<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>';
  return (
    `<domain type='${spec.type}'><name>${name}</name><uuid>${name}</uuid>` +
    `<memory unit='MiB'>${whole('memoryMb', spec.memoryMb)}</memory><vcpu>${whole('vcpus', spec.vcpus)}</vcpu>` +
    metadata(spec) +
    `<features><acpi/><apic/></features><os><type arch='x86_64'>hvm</type>${boot(spec)}</os>${lifecycle}` +
    `${spec.type === 'test' ? '' : devices(spec)}</domain>`
  );
}

function metadata(spec: DomainSpec): string {
  if (spec.shutdownTimeoutS === undefined) return '';
  return (
    `<metadata><stratus:instance xmlns:stratus='${METADATA_NS}'>` +
    `<stratus:shutdown-timeout>${whole('shutdownTimeoutS', spec.shutdownTimeoutS)}</stratus:shutdown-timeout></stratus:instance></metadata>`
  );
}

// An image's ISO (the cdrom on hda) boots first, as Nova boots one; a config drive (hdd) is never booted.
const boot = (spec: DomainSpec) =>
  spec.disks?.some((d) => d.device === 'cdrom' && d.target === 'hda') ? "<boot dev='cdrom'/><boot dev='hd'/>" : "<boot dev='hd'/>";

function guestDisk(d: GuestDisk, cache: string): string {
  const target = /^(vd|hd)[a-z]{1,2}$/.test(d.target) ? d.target : undefined;
  if (!target) throw new Error(`not a disk target: ${d.target}`);
  return (
    `<disk type='file' device='${d.device === 'cdrom' ? 'cdrom' : 'disk'}'><driver name='qemu' type='${d.format === 'qcow2' ? 'qcow2' : 'raw'}' cache='${cache}'/>` +
    `<source file='${escape(d.path)}'/><target dev='${target}' bus='${d.bus === 'ide' ? 'ide' : 'virtio'}'/>${d.readonly ? '<readonly/>' : ''}</disk>`
  );
}

function devices(spec: DomainSpec): string {
  const cache = spec.diskCache ?? 'none';
  const driver = `<driver name='qemu' type='raw' cache='${cache}'/>`;
  const volumes = spec.volumes ?? [];
  return [
    '<devices>',
    ...(spec.disks ?? []).map((d) => guestDisk(d, cache)),
    spec.diskPath && !spec.disks
      ? `<disk type='file' device='disk'>${driver}<source file='${escape(spec.diskPath)}'/><target dev='vda' bus='virtio'/></disk>`
      : '',
    ...(spec.interfaces ?? []).map(nic),
    volumes.length ? "<controller type='scsi' model='virtio-scsi'/>" : '',
    ...volumes.map(
      (v, i) =>
        `<disk type='file' device='disk'>${driver}<source file='${escape(v.path)}'/>` +
        `<target dev='${scsiName(i)}' bus='scsi'/><serial>${escape(v.serial)}</serial></disk>`,
    ),
    spec.serial ? serialTcp(spec.serial) : "<serial type='pty'/><console type='pty'/>",
    graphics(spec.graphics),
    "<video><model type='vga'/></video>",
    '</devices>',
  ].join('');
}

function nic(n: GuestInterface): string {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(n.mac)) throw new Error(`not a MAC address: ${n.mac}`);
  // IFNAMSIZ: 15 characters and a NUL; a name with anything else could not be the data plane's.
  if (!/^[a-z0-9]{1,15}$/.test(n.tap)) throw new Error(`not a tap name: ${n.tap}`);
  return (
    `<interface type='ethernet'><mac address='${n.mac.toLowerCase()}'/><target dev='${n.tap}' managed='no'/>` +
    `<model type='virtio'/><mtu size='${whole('mtu', n.mtu)}'/></interface>`
  );
}

// sda, sdb, … sdz, sdaa, …: the kernel's naming, which libvirt expects in target dev.
function scsiName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(97 + ((n - 1) % 26)) + name;
  return `sd${name}`;
}

// The console element names the same TCP server as the first serial port; the log keeps what the guest printed
// whether or not a client is connected.
function serialTcp(s: SerialConsole): string {
  const source = `<source mode='bind' host='${escape(s.host)}' service='${whole('serial port', s.port)}'/><protocol type='raw'/>`;
  return (
    `<serial type='tcp'>${source}<log file='${escape(s.logPath)}' append='on'/><target port='0'/></serial>` +
    `<console type='tcp'>${source}<target type='serial' port='0'/></console>`
  );
}

function graphics(g: GraphicalConsoles | undefined): string {
  if (!g) return "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>";
  const listen = escape(g.listen);
  return (
    `<graphics type='vnc' port='-1' autoport='yes' listen='${listen}' passwd='${escape(g.vncPassword)}'><listen type='address' address='${listen}'/></graphics>` +
    (g.spice === false
      ? ''
      : `<graphics type='spice' port='-1' autoport='yes' listen='${listen}'><listen type='address' address='${listen}'/></graphics>`)
  );
}
