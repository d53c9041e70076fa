import type { Clock } from '../../runtime/clock.js';
import type { RequestState } from '../correlation.js';
import type { AuthContext, TokenService } from '../identity/index.js';
import type { ImageRepository } from './repository.js';
import type { ImageStore } from './image-store.js';

export interface ImageServices {
  readonly repo: ImageRepository;
  readonly store: ImageStore;
  readonly tokens: TokenService;
  readonly clock: Clock;
  readonly publicUrl: () => string;
}

export interface ImageState extends RequestState { auth?: AuthContext }

export const authenticate = (s: ImageServices, ctx: { get(header: string): string }) => s.tokens.context(ctx.get('x-auth-token'));
