import type { Caller } from '../identity/index.js';

// What compute needs of the image service, as an interface: implemented by http/images today,
// answerable from another node later.

/** The fields of an image a boot checks against the flavor (Nova's _validate_flavor_image). */
export interface BootImage {
  readonly id: string;
  readonly status: string;
  /** Bytes; null while no data was uploaded. */
  readonly size: number | null;
  readonly minRamMb: number;
  readonly minDiskGb: number;
}

export interface ImageService {
  /** The image if it exists and the caller's project may see it (Glance's visibility and membership rules). */
  bootImage(caller: Caller, project: string, id: string): Promise<BootImage | undefined>;
}
