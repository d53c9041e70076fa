import { Op } from 'sequelize';
import type { HostRow } from '../../models/host.js';
import type { Models } from '../../models/index.js';
import { readRows } from '../../models/typed.js';

/** What an image asks of its host (Nova's ImagePropertiesFilter): architecture, hypervisor type, VM mode. */
export interface ImageNeeds {
  readonly arch?: string;
  readonly hvType?: string;
  readonly vmMode?: string;
}

// The property names Nova reads, the current one first, then the legacy one.
const NAMES = { arch: ['hw_architecture', 'architecture'], hvType: ['img_hv_type', 'hypervisor_type'], vmMode: ['hw_vm_mode', 'vm_mode'] } as const;

// Nova's canonical names (obj_fields.Architecture, HVType, VMMode canonicalize).
const ARCH_ALIASES: Record<string, string> = {
  amd64: 'x86_64',
  x64: 'x86_64',
  i386: 'i686',
  i486: 'i686',
  i586: 'i686',
  x86: 'i686',
  arm64: 'aarch64',
};
const HV_ALIASES: Record<string, string> = { xapi: 'xen' };
const VM_ALIASES: Record<string, string> = { hv: 'hvm', baremetal: 'hvm', pv: 'xen' };
const canonical = (aliases: Record<string, string>, v: string | undefined) =>
  v === undefined ? undefined : (aliases[v.toLowerCase()] ?? v.toLowerCase());

/**
 * What a libvirt host offers (the driver's supported_instances): QEMU guests in HVM mode on x86. The simulated hosts
 * stand in for such hosts, so they offer the same.
 */
export function supportedBy(_h: HostRow): { arch: string[]; hvType: string[]; vmMode: string[] } {
  return { arch: ['x86_64', 'i686'], hvType: ['qemu', 'kvm'], vmMode: ['hvm'] };
}

/** Nova's ImagePropertiesFilter: every property the image sets must be one the host supports. */
export function hostFitsImage(h: HostRow, needs: ImageNeeds): boolean {
  if (!needs.arch && !needs.hvType && !needs.vmMode) return true;
  const offer = supportedBy(h);
  return (
    (!needs.arch || offer.arch.includes(needs.arch)) &&
    (!needs.hvType || offer.hvType.includes(needs.hvType)) &&
    (!needs.vmMode || offer.vmMode.includes(needs.vmMode))
  );
}

const CACHE_MS = 5_000;
const CACHE_SIZE = 1_000;

/** An image's needs, read from its properties; kept a few seconds per image, as a burst of boots shares one image. */
export function imageNeedsReader(models: Models) {
  const cache = new Map<string, { at: number; needs: ImageNeeds }>();
  return async (imageId: string | undefined, now: number): Promise<ImageNeeds> => {
    if (!imageId) return {};
    const hit = cache.get(imageId);
    if (hit && now - hit.at <= CACHE_MS) return hit.needs;
    const rows = await readRows(models.ImageProperty, {
      where: { image_id: imageId, name: { [Op.in]: Object.values(NAMES).flat() } },
      attributes: ['name', 'value'],
    });
    const value = (names: readonly string[]) => names.map((n) => rows.find((r) => r.name === n)?.value).find((v) => v !== undefined);
    const needs: ImageNeeds = {
      arch: canonical(ARCH_ALIASES, value(NAMES.arch)),
      hvType: canonical(HV_ALIASES, value(NAMES.hvType)),
      vmMode: canonical(VM_ALIASES, value(NAMES.vmMode)),
    };
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(imageId, { at: now, needs });
    return needs;
  };
}
