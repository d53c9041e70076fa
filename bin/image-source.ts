import type { Models } from '../models/index.js';
import type { Clock } from '../runtime/clock.js';
import type { TokenService } from '../http/identity/tokens.js';
import { ImageServiceNotReady, type ImageSource } from '../drivers/qemu/image-fetch.js';
import { readRow } from '../models/typed.js';

/**
 * How this node's real hosts reach the image service: its URL once known, and a token of the cloud's own, signed
 * with the identity keys in the shared database (as every node checks tokens) for the admin user on the admin
 * project, since a host fetches images of every project. Nova's compute service holds a service user's token for
 * the same purpose; this cloud's bootstrap makes no such user. The token is reused until a minute before it expires.
 */
export function imageSourceOf(models: Models, url: () => string, tokens: () => TokenService | undefined, clock: Clock): ImageSource {
  let held: { token: string; expiresAt: number } | undefined;
  return {
    url: () => {
      const at = url();
      if (!at) throw new ImageServiceNotReady('the image service is not reachable from this node yet');
      return at;
    },
    token: async () => {
      if (held && held.expiresAt - 60_000 > clock.now()) return held.token;
      const service = tokens();
      if (!service) throw new ImageServiceNotReady('no identity keys loaded on this node yet');
      const user = await readRow(models.User, { where: { name: 'admin', domain_id: 'default' } });
      const project = await readRow(models.Project, { where: { name: 'admin', domain_id: 'default' } });
      if (!user || !project) throw new Error('the admin user or project is missing');
      const { token, claims } = service.issue({ user: user.id, methods: ['password'], project: project.id });
      held = { token, expiresAt: claims.expiresAt };
      return token;
    },
  };
}
