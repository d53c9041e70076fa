import type { Middleware, ParameterizedContext } from 'koa';
import { jsonBodyRead } from '../../http/body.js';
import type { ComputeState } from '../../http/compute/services.js';
import type { ResponseOracle, ResponseSample } from './response-oracle.js';

const ACTION = /\/action$/;

/** The response as the client will get it: JSON bodies as JSON, header values as strings. */
function sampleOf(ctx: ParameterizedContext<ComputeState>): ResponseSample | undefined {
  const body = ctx.body;
  if (Buffer.isBuffer(body) || (body !== null && typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe === 'function'))
    return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  const requestBody = ctx.method === 'POST' && ACTION.test(ctx.path) ? jsonBodyRead(ctx) : undefined;
  const action = requestBody && typeof requestBody === 'object' && !Array.isArray(requestBody) ? Object.keys(requestBody)[0] : undefined;
  return {
    method: ctx.method,
    path: ctx.path,
    ...(action ? { action } : {}),
    version: ctx.state.version?.toString() ?? '2.1',
    status: ctx.status,
    headers,
    body: body === undefined || body === '' ? null : body,
  };
}

/**
 * Every response, once the API has made it, goes past the oracle; one that violates
 * its schema is logged and replaced by a 500 naming the schema, so the test that caused it fails.
 */
export function checkResponses(oracle: ResponseOracle): Middleware<ComputeState> {
  return async (ctx, next) => {
    await next();
    const sample = sampleOf(ctx);
    if (!sample) return;
    let problem: string;
    try {
      const verdict = await oracle.check(sample);
      if (verdict.unchecked !== undefined) ctx.state.log.debug({ route: verdict.route, why: verdict.unchecked }, 'compute response has no schema');
      if (!verdict.violation) return;
      ctx.state.log.error(
        {
          method: sample.method,
          path: sample.path,
          action: sample.action,
          version: sample.version,
          status: sample.status,
          route: verdict.route,
          schema: verdict.schema,
          violation: verdict.violation,
        },
        'compute response violates its schema',
      );
      problem = `The ${sample.status} response of ${verdict.route} at ${sample.version} violates ${verdict.schema}: ${verdict.violation}`;
    } catch (error) {
      ctx.state.log.error({ err: error, method: sample.method, path: sample.path }, 'compute response oracle failed');
      problem = (error as Error).message;
    }
    ctx.remove('Location');
    ctx.status = 500;
    ctx.body = { computeFault: { code: 500, message: problem } };
  };
}
