import type { Middleware } from 'koa';
import type { RequestState } from '../correlation.js';

/** An error as Neutron answers it: `{"NeutronError": {"type", "message", "detail"}}`, `type` naming Neutron's exception. */
export class NeutronError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export const neutronErrorBody = (type: string, message: string) => ({ NeutronError: { type, message, detail: '' } });

/** What Neutron's WSGI layer calls the plain HTTP errors it raises itself. */
const HTTP_TYPES: Record<number, string> = {
  400: 'HTTPBadRequest',
  404: 'HTTPNotFound',
  405: 'HTTPMethodNotAllowed',
  409: 'HTTPConflict',
  413: 'HTTPRequestEntityTooLarge',
  415: 'HTTPUnsupportedMediaType',
  431: 'HTTPRequestHeaderFieldsTooLarge',
};

export const httpError = (status: number, message: string) => new NeutronError(status, HTTP_TYPES[status] ?? 'HTTPError', message);
export const badRequest = (message: string) => httpError(400, message);
/** neutron-lib's InvalidInput. */
export const invalidInput = (message: string) => new NeutronError(400, 'InvalidInput', `Invalid input for operation: ${message}.`);
/** An attribute's value refused by its validator, as the API layer words it. */
export const invalidAttribute = (attribute: string, reason: string) => badRequest(`Invalid input for ${attribute}. Reason: ${reason}.`);
/** neutron-lib's BadRequest: `Bad <resource> request: <msg>.` */
export const badResourceRequest = (resource: string, message: string) => new NeutronError(400, 'BadRequest', `Bad ${resource} request: ${message}.`);
export const notFound = (type: string, message: string) => new NeutronError(404, type, message);
export const conflict = (type: string, message: string) => new NeutronError(409, type, message);
export const policyRefused = (rule: string) => new NeutronError(403, 'PolicyNotAuthorized', `${rule} is disallowed by policy`);

/** A fault body for what Node's parser refuses before Koa sees it. */
export const neutronFaultBody = (status: number, message: string) => neutronErrorBody(HTTP_TYPES[status] ?? 'HTTPError', message);

export const neutronErrors: Middleware<Partial<RequestState>> = async (ctx, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) throw httpError(404, 'The resource could not be found.');
    if (ctx.status === 405 && ctx.body === undefined)
      throw httpError(405, 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
  } catch (error) {
    const status = (error as { status?: number }).status ?? 500;
    if (status === 401) {
      // A missing or bad token is refused by keystonemiddleware before Neutron, in Keystone's shape.
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Keystone uri="/v3"');
      ctx.body = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };
      return;
    }
    ctx.status = status;
    if (error instanceof NeutronError) {
      ctx.body = neutronErrorBody(error.type, error.message);
      return;
    }
    if (status < 500) {
      ctx.body = neutronErrorBody(HTTP_TYPES[status] ?? 'HTTPError', (error as Error).message);
      return;
    }
    ctx.state.log?.error({ err: error }, 'network request failed');
    ctx.body = neutronErrorBody('HTTPInternalServerError', 'Request Failed: internal server error while processing your request.');
  }
};
