import type { Middleware } from 'koa';
import type { RequestState } from '../correlation.js';
import { badRequest, ComputeFault, ControllerUnauthorized, forbidden, notFound } from '../../services/compute/errors.js';

/** A Nova fault: the compute service's refusal, answered as `{"<faultName>": {"code", "message"}}`. */
export { ComputeFault as NovaFault, badRequest, forbidden, notFound };

// Nova's names (wsgi.Fault._fault_names); any other status, 406 among them, is a computeFault.
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** A Nova fault body: `{"<faultName>": {"code", "message"}}`. */
export const novaFaultBody = (status: number, message: string) => ({ [FAULT_NAMES[status] ?? 'computeFault']: { code: status, message } });

export const novaFaults: Middleware<Partial<RequestState>> = async (ctx, next) => {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) throw notFound('The resource could not be found.');
    if (ctx.status === 405 && !ctx.body)
      throw new ComputeFault(405, 'The server could not comply with the request since it is either malformed or otherwise incorrect.');
  } catch (error) {
    // No node can take the request now (its actor's node is away, no node holds its role, the transport is full):
    // the client may retry, as with Nova's 503.
    const refusedByCluster = ['unavailable', 'overloaded'].includes((error as { code?: string }).code ?? '');
    const status = refusedByCluster ? 503 : ((error as { status?: number }).status ?? 500);
    if (status === 401 && !(error instanceof ControllerUnauthorized)) {
      // Nova's 401 comes from keystonemiddleware, in its own shape.
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Keystone uri="/v3"');
      ctx.body = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };
      return;
    }
    // 501 is Nova's deliberate "not implemented" answer (raise_feature_not_supported), said in its own words.
    const known = status < 500 || status === 501 || refusedByCluster;
    if (!known) ctx.state.log?.error({ err: error }, 'compute request failed');
    ctx.status = status;
    const message = known
      ? (error as Error).message
      : 'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.';
    ctx.body = novaFaultBody(status, message);
  }
};
