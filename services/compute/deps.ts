import type { ActorGateway } from '../../runtime/client.js';
import type { ImageService } from '../images/index.js';
import type { QuotaDeps } from './quotas.js';

/** What the compute service works with: its tables, the image service's interface, the actors. */
export interface ComputeDeps extends QuotaDeps {
  readonly images: ImageService;
  readonly actors: ActorGateway;
  /** The scheduler actor this node hands boots to. */
  readonly scheduler: string;
}
