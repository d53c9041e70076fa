import type { Clock } from '../../runtime/clock.js';
import type { RequestState } from '../correlation.js';
import type { Context } from 'koa';
import type { AuthContext, TokenService } from '../identity/index.js';
import { readJson } from '../body.js';
import { visible } from './access.js';
import { GlanceError } from './errors.js';
import { permits } from '../../services/identity/index.js';
import type { ImageRepository } from './repository.js';
import type { ImageStore } from './image-store.js';

export interface ImageServices {
  readonly repo: ImageRepository;
  readonly store: ImageStore;
  readonly tokens: TokenService;
  readonly clock: Clock;
  readonly publicUrl: () => string;
  readonly limits: UploadLimits;
}

/** Glance's `image_size_cap` and `user_storage_quota` (0: unlimited), in bytes. */
export interface UploadLimits {
  readonly sizeCapBytes: number;
  readonly userStorageQuotaBytes: number;
}

export interface ImageState extends RequestState {
  auth?: AuthContext;
}

/** The caller's validated token; an application credential's access rules are checked as keystonemiddleware checks them (401 outside them). */
export async function authenticate(s: ImageServices, ctx: { get(header: string): string; method: string; path: string }): Promise<AuthContext> {
  const auth = await s.tokens.context(ctx.get('x-auth-token'));
  if (!permits(auth.accessRules, 'image', ctx.method, ctx.path)) throw new GlanceError(401, 'The request you have made requires authentication.');
  return auth;
}

/** The image if the caller may see it (with its members), or Glance's 404. */
export async function findVisible(s: ImageServices, auth: AuthContext, id: string) {
  const image = await s.repo.get(id);
  const members = image ? await s.repo.membersOf(image.row.id) : [];
  const mine = members.find((m) => m.member === auth.projectId);
  if (!image || !visible(auth, image.row, mine?.status)) throw new GlanceError(404, `No image found with ID ${id}`);
  return { image, members, mine };
}

/** A JSON request body; unreadable ones are Glance's 400 (or 413). */
export async function jsonBody(ctx: Context): Promise<unknown> {
  try {
    return await readJson(ctx);
  } catch (error) {
    throw new GlanceError((error as { status?: number }).status ?? 400, (error as Error).message);
  }
}
