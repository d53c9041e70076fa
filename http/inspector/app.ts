import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import type { Logger } from 'pino';
import { correlation } from '../correlation.js';
import { readJson } from '../body.js';
import { AdminError, adminErrors, adminOf, adminRoutes, type AdminServices, type AdminState } from '../admin/app.js';
import { CsrfGuard, passwordToken, sameOrigin } from './session.js';

// The operator's live actor-tree inspector: its page (plain ES modules, no build step, nothing from a CDN), the
// admin API's routes again under `<path>/api` (the same routes, not a copy) with sign-in and CSRF protection for
// the page, and the change stream (stream.ts) at `<path>/stream`. Served on the compute API's port by default.

export interface InspectorOptions {
  /** `inspector.path`, e.g. `/inspector`. */
  readonly path: string;
  /** Where Keystone answers, to sign in with a password. */
  readonly identityUrl: () => string;
}

// The page's files, read once: served as they are, with their types.
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const FILES = ['index.html', 'inspector.js', 'virtual-list.js', 'api.js', 'render.js', 'inspector.css'];

/** The page's folder: beside this module in the sources; the compiled build (dist/) reads the sources' copy. */
function pageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'page'), resolve(here, '../../../http/inspector/page')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0];
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function inspectorApp(s: AdminServices, o: InspectorOptions, logger: Logger): Koa<AdminState> {
  const dir = pageDir();
  const files = new Map(FILES.map((f) => [f, readFileSync(join(dir, f))]));
  const csrf = new CsrfGuard();
  const app = new Koa<AdminState>();
  app.use(correlation(logger));
  app.use(async (ctx, next) => {
    ctx.set(SECURITY_HEADERS);
    await next();
  });
  const api = `${o.path}/api`;
  app.use(async (ctx, next) => {
    if (ctx.path === o.path) {
      ctx.redirect(`${o.path}/`);
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      await next();
      return;
    }
    const name = ctx.path === `${o.path}/` ? 'index.html' : ctx.path.startsWith(`${o.path}/`) ? ctx.path.slice(o.path.length + 1) : undefined;
    const file = name === undefined ? undefined : files.get(name);
    if (!file) {
      await next();
      return;
    }
    ctx.type = TYPES[name!.slice(name!.lastIndexOf('.'))]!;
    ctx.body = file;
  });
  app.use(adminErrors());
  // Signing in: a password (Keystone is asked) or a token the operator has; either way an admin's only. The answer
  // carries the CSRF value the page sends with each action.
  app.use(async (ctx, next) => {
    if (ctx.path !== `${api}/session`) {
      await next();
      return;
    }
    if (ctx.method !== 'POST') throw new AdminError(405, 'Method Not Allowed');
    if (!sameOrigin(ctx.get('origin') || undefined, ctx.get('host'))) throw new AdminError(403, 'Cross-origin request refused');
    const body = (await readJson(ctx, 16 * 1024)) as Record<string, unknown> | undefined;
    const field = (k: string, max = 255) => {
      const v = body?.[k];
      if (v === undefined || v === '') return undefined;
      if (typeof v !== 'string' || v.length > max) throw new AdminError(400, `Invalid ${k}`);
      return v;
    };
    let token = field('token', 8_192);
    let expiresAt: string | undefined;
    if (!token) {
      const user = field('user');
      const password = field('password', 4_096);
      if (!user || !password) throw new AdminError(400, 'Give a user and password, or a token');
      const got = await passwordToken(o.identityUrl(), {
        user,
        password,
        project: field('project') ?? 'admin',
        domain: field('domain') ?? 'default',
      });
      if (!got) throw new AdminError(401, 'The request you have made requires authentication.');
      token = got.token;
      expiresAt = got.expiresAt;
    }
    const user = await adminOf(s.tokens, token);
    ctx.status = 201;
    ctx.body = { session: { token, user_id: user, csrf: csrf.tokenFor(token), ...(expiresAt ? { expires_at: expiresAt } : {}) } };
  });
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith(`${api}/`)) {
      await next();
      return;
    }
    const token = ctx.get('x-auth-token') || undefined;
    ctx.state.user = await adminOf(s.tokens, token);
    // Actions: the page's own origin and the CSRF value of this token, or nothing happens.
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      if (!sameOrigin(ctx.get('origin') || undefined, ctx.get('host'))) throw new AdminError(403, 'Cross-origin request refused');
      if (!csrf.matches(token!, ctx.get('x-csrf-token') || undefined)) throw new AdminError(403, 'Missing or wrong X-CSRF-Token');
    }
    await next();
  });
  const router = adminRoutes(s, api);
  app.use(router.routes()).use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new AdminError(405, 'Method Not Allowed'),
      notImplemented: () => new AdminError(501, 'Not Implemented'),
    }),
  );
  return app;
}

/** A middleware handing every request under `path` to the inspector (mounted on the compute API's server). */
export function mountInspector(path: string, app: Koa<AdminState>): Koa.Middleware {
  const handle = app.callback();
  return async (ctx, next) => {
    if (ctx.path !== path && !ctx.path.startsWith(`${path}/`)) {
      await next();
      return;
    }
    ctx.respond = false;
    await handle(ctx.req, ctx.res);
  };
}
