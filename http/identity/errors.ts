import type { Middleware } from 'koa';
import type { RequestState } from '../correlation.js';
import { statusTitles as titles } from '../status-titles.js';

/** An error answered in Keystone's shape: `{"error": {"code", "title", "message"}}`. */
export class KeystoneError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A Keystone error body: `{"error": {"code", "title", "message"}}`. */
export const keystoneErrorBody = (status: number, message: string) => ({ error: { code: status, title: titles[status] ?? 'Error', message } });

export const badRequest = (message: string) => new KeystoneError(400, message);
export const unauthorized = (message = 'The request you have made requires authentication.') => new KeystoneError(401, message);
export const forbidden = (message = 'You are not authorized to perform the requested action.') => new KeystoneError(403, message);
/** Keystone's ForbiddenAction, worded as its message format words it (the action's own full stop included). */
export const forbiddenAction = (action: string) => new KeystoneError(403, `You are not authorized to perform the requested action: ${action}.`);
export const notFound = (what: string, id: string) => new KeystoneError(404, `Could not find ${what}: ${id}.`);
export const conflict = (what: string, detail: string) => new KeystoneError(409, `Conflict occurred attempting to store ${what} - ${detail}.`);

export function keystoneErrors(authUrl: () => string): Middleware<Partial<RequestState>> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new KeystoneError(404, 'The resource could not be found.');
      if (ctx.status === 405 && ctx.body === undefined) throw new KeystoneError(405, 'The method is not allowed for the requested URL.');
    } catch (error) {
      const known = error instanceof KeystoneError;
      const status = known ? error.status : 500;
      if (!known) ctx.state.log?.error({ err: error }, 'identity request failed');
      ctx.status = status;
      ctx.body = keystoneErrorBody(status, known ? error.message : 'An unexpected error prevented the server from fulfilling your request.');
      if (status === 401) ctx.set('WWW-Authenticate', `Keystone uri="${authUrl()}"`);
    }
  };
}
