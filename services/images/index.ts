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

export interface ImageService extends ServerImages, ImageProxy {
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

/** An image as Nova's image proxy shows it: Glance's fields, `properties` the image's own (non-core) ones. */
export interface ProxyImage {
  readonly id: string;
  readonly name: string | null;
  readonly status: string;
  readonly size: number | null;
  readonly minRam: number;
  readonly minDisk: number;
  readonly createdAt: Date | string;
  readonly updatedAt: Date | string;
  readonly properties: Readonly<Record<string, string>>;
}

/** The image service's refusal, with Glance's status and message; the proxy answers it in its own words. */
export class ImageServiceError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What Nova's image API proxy (below 2.36) asks of the image service with the caller's credentials: Glance's list with
 * its filters (`filters` in Glance v2's names), show, delete and the replacement of an image's properties. Refusals are
 * ImageServiceErrors with Glance's status.
 */
export interface ImageProxy {
  listImages(caller: Caller, project: string, query: { filters: Record<string, string>; limit: number; marker?: string }): Promise<ProxyImage[]>;
  /** The image if the caller's project may see it. */
  getImage(caller: Caller, project: string, id: string): Promise<ProxyImage | undefined>;
  deleteImage(caller: Caller, project: string, id: string): Promise<void>;
  /** Makes `properties` the image's own properties, as Nova's update with purge_props does; answers the image. */
  replaceImageProperties(caller: Caller, project: string, id: string, properties: Record<string, string>): Promise<ProxyImage>;
  /** The image service's root URL (Nova's generate_glance_url), for the `alternate` link. */
  rootUrl(): string;
}
