import type { FlavorRow } from '../../../models/index.js';
import type { Microversion } from '../microversion.js';
import { links, type ComputeServices } from '../services.js';
import { dbBool } from '../../db-values.js';

export const flavorSummary = (s: ComputeServices, f: FlavorRow, v: Microversion) => ({
  id: f.id,
  name: f.name,
  links: links(s, `flavors/${f.id}`),
  ...(v.atLeast('2.55') ? { description: f.description } : {}),
});

/** A flavor in full; `extraSpecs` only where the version (2.61) and the caller's role show them. */
export const flavorDetail = (s: ComputeServices, f: FlavorRow, v: Microversion, extraSpecs?: Record<string, string>) => ({
  id: f.id,
  name: f.name,
  ram: f.memory_mb,
  disk: f.root_gb,
  vcpus: f.vcpus,
  'OS-FLV-EXT-DATA:ephemeral': f.ephemeral_gb,
  'OS-FLV-DISABLED:disabled': dbBool(f.disabled),
  // Nova answered an empty string for no swap until 2.75.
  swap: f.swap === 0 && !v.atLeast('2.75') ? '' : f.swap,
  rxtx_factor: f.rxtx_factor || '',
  'os-flavor-access:is_public': dbBool(f.is_public),
  links: links(s, `flavors/${f.id}`),
  ...(v.atLeast('2.55') ? { description: f.description } : {}),
  ...(v.atLeast('2.61') && extraSpecs ? { extra_specs: extraSpecs } : {}),
});
