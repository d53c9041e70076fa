import type { ActorGateway } from '../../runtime/client.js';
import type { ImageService } from '../images/index.js';
import type { NetworkDeps } from '../network/index.js';
import type { QuotaDeps } from './quotas.js';

/** What the compute service works with: its tables, the image service's interface, the actors. */
export interface ComputeDeps extends QuotaDeps {
  readonly images: ImageService;
  readonly actors: ActorGateway;
  /** The Networking service, when the cloud runs one: servers then get ports; without it, none. */
  readonly network?: NetworkDeps;
  /**
   * The scheduler actor a boot is handed to, by a key spreading boots over the scheduler nodes (the instance's
   * UUID). Reached by (kind, id) through the runtime: it need not run on this node.
   */
  readonly scheduler: (key: string) => string;
  /** The zone of a boot that names none (Nova's default_schedule_zone); empty or absent: any zone. */
  readonly defaultScheduleZone?: string;
  /** Above 0, a delete keeps the server SOFT_DELETED and it is reclaimed this long after (Nova's reclaim_instance_interval). */
  readonly reclaimInstanceMs?: number;
  /** Resizes and migrations (allow_resize_to_same_host, resize_confirm_window); absent: Nova's defaults. */
  readonly moves?: MoveSettings;
}

/** Settings of moves (Nova's allow_resize_to_same_host and resize_confirm_window). */
export interface MoveSettings {
  readonly allowResizeToSameHost: boolean;
  /** 0: a resize waits for the user's confirmation. */
  readonly resizeConfirmWindowS: number;
}
