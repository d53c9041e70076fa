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

export interface ImageService extends ServerImages {
  /** The image if it exists and the caller's project may see it (Glance's visibility and membership rules). */
  bootImage(caller: Caller, project: string, id: string): Promise<BootImage | undefined>;
}

/** A snapshot or backup of a server, as Nova's compute_utils.create_image asks the image service for it. */
export interface NewServerImage {
  readonly name: string;
  /** The project that owns the image: the caller's (Nova's context.project_id). */
  readonly owner: string;
  readonly user_id: string;
  readonly instance_uuid: string;
  /** The image the server was booted from (empty for a volume-backed one): its properties are inherited. */
  readonly base_image_ref: string;
  readonly image_type: 'snapshot' | 'backup';
  readonly backup_type?: string;
  /** The flavor's root disk: the snapshot needs at least that much (Nova's min_disk). */
  readonly root_gb: number;
  /** The request's metadata: image properties that take precedence over the inherited ones. */
  readonly extra_properties: Readonly<Record<string, string>>;
}

/** What the image-based server actions need of the image service besides the boot's read. */
export interface ServerImages {
  /** Records the image, queued and private, with Nova's properties; answers its id. Data comes from the host later. */
  createServerImage(image: NewServerImage): Promise<string>;
  /** Deletes an image made for an action its server then refused. */
  deleteServerImage(id: string): Promise<void>;
  /** Where a client finds the image (Nova's Location header below 2.45). */
  imageUrl(id: string): string;
}
