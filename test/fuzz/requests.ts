import fc from 'fast-check';
import { encode, queryOf, type ApiName, type FuzzRequest } from './harness.js';
import { arbitraryOf, type JsonSchema } from './schema-arbitrary.js';
import { anyJson, anyText, hostileText, nested, uuidText } from './values.js';

/** One route of an API: its path template (`:name` parameters), body and query schemas, and how often it is drawn. */
export interface Route {
  method: string;
  path: string;
  /** The body's schema (per microversion for compute), or a fixed arbitrary of bodies; none: no body, mostly. */
  body?: JsonSchema | fc.Arbitrary<unknown>;
  query?: JsonSchema;
  contentType?: string;
  weight?: number;
}

// Node refuses a request line and headers beyond 16 KiB before any API sees it (test/fuzz-protocol.test.ts
// checks that refusal): URLs stay below that, so that the generated ones reach the routes.
const urlHostileText = hostileText.filter((s) => s.length <= 2_000);

/** Path parameter values: the live ids of the cloud under test, fresh UUIDs, any text, and hostile segments sent unencoded. */
export function paramValues(pool: readonly string[]): fc.Arbitrary<string> {
  const live = pool.length ? [{ weight: 10, arbitrary: fc.constantFrom(...pool).map(encode) }] : [];
  return fc.oneof(
    ...live,
    { weight: 2, arbitrary: uuidText.map(encode) },
    {
      weight: 2,
      arbitrary: anyText(30)
        .filter((s) => s.length > 0)
        .map(encode),
    },
    { weight: 1, arbitrary: urlHostileText.filter((s) => s.length > 0).map(encode) },
    // Raw: traversal, malformed escapes, overlong and invalid UTF-8.
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '%zz',
        '%',
        '%C0%AF',
        '%FF%FE',
        '%E0%A4%A',
        '%ED%A0%80',
        '..%2F..%2F',
        '%2F',
        'a;b',
        'a,b',
        '%20',
        '+',
        '~',
      ),
    },
  );
}

/** A whole request body: JSON of the schema mostly; sometimes no body, malformed JSON, invalid UTF-8, deep nesting, a huge array. */
export function bodyText(valid: fc.Arbitrary<unknown>): fc.Arbitrary<string | Buffer | undefined> {
  return fc.oneof(
    { weight: 24, arbitrary: valid.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null') },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string | Buffer>(
        '',
        '{',
        '{"a":}',
        'null',
        '[]',
        '"x"',
        '1e309',
        '{"a":1,"a":2}',
        '\ufeff{}',
        'NaN',
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{"x":1}}}',
        Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]),
        Buffer.from([0xff, 0xfe, 0x00]),
        `[${'1,'.repeat(20_000)}1]`,
        `{"a":"${'\\ud800'.repeat(10)}"}`,
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(50, 1_000, 5_000, 100_000), fc.constantFrom<'array' | 'object'>('array', 'object'))
        .map(([d, k]) => nested(d, k)),
    },
  );
}

const contentTypes = (usual: string) =>
  fc.oneof(
    { weight: 20, arbitrary: fc.constant(usual) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/xml',
        'application/json; charset=latin1',
        'multipart/form-data; boundary=x',
        '',
        '*/*',
        'application/json-patch+json',
      ),
    },
  );

/** The query string of a query schema (every property a list, as Nova's are), plus duplicates and hostile parameters. */
export function queryText(schema: JsonSchema | undefined): fc.Arbitrary<string> {
  const hostile = fc.dictionary(
    fc.oneof(fc.string({ maxLength: 10 }), urlHostileText),
    fc.array(fc.oneof(anyText(20), urlHostileText), { minLength: 1, maxLength: 2 }),
    { maxKeys: 2 },
  );
  if (!schema?.properties) return fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: hostile.map(queryOf) });
  const entries = Object.entries(schema.properties).map(
    ([k, s]) => [k, fc.array(arbitraryOf(s.items ?? s), { minLength: 1, maxLength: 2 })] as const,
  );
  const chosen = fc
    .subarray(
      entries.map(([k]) => k),
      { maxLength: Math.min(4, entries.length) },
    )
    .chain((keys) =>
      fc.tuple(...keys.map((k) => entries.find(([n]) => n === k)![1])).map((lists) => Object.fromEntries(keys.map((k, i) => [k, lists[i]]))),
    );
  return fc.oneof(
    { weight: 6, arbitrary: chosen.map(queryOf) },
    { weight: 1, arbitrary: hostile.map(queryOf) },
    { weight: 1, arbitrary: fc.constant('') },
  );
}

/** Every route as requests: parameters filled from the pools, the body and query from the schemas, the credential from `auth`. */
export function requestsOf(
  api: ApiName,
  routes: readonly Route[],
  pools: Record<string, readonly string[]>,
  auth: fc.Arbitrary<Record<string, string>>,
  extraHeaders: fc.Arbitrary<Record<string, string>> = fc.constant({}),
): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(...routes.map((route) => ({ weight: route.weight ?? 1, arbitrary: routeRequests(api, route, pools, auth, extraHeaders) })));
}

function routeRequests(
  api: ApiName,
  route: Route,
  pools: Record<string, readonly string[]>,
  auth: fc.Arbitrary<Record<string, string>>,
  extraHeaders: fc.Arbitrary<Record<string, string>>,
): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]);
  const params = fc.tuple(...names.map((n) => paramValues(pools[n] ?? [])));
  const body =
    route.body === undefined
      ? fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bodyText(anyJson) })
      : bodyText(route.body instanceof fc.Arbitrary ? route.body : arbitraryOf(route.body));
  return fc
    .record({ params, body, query: queryText(route.query), auth, extra: extraHeaders, type: contentTypes(route.contentType ?? 'application/json') })
    .map(({ params, body, query, auth, extra, type }) => {
      let i = 0;
      const path = route.path.replace(/:([A-Za-z_]+)/g, () => params[i++]);
      const headers: Record<string, string> = { ...auth, ...extra };
      if (body !== undefined && type) headers['content-type'] = type;
      return described({ api, method: route.method, path: query ? `${path}?${query}` : path, headers, body });
    });
}

/** A request that fast-check prints short (a counterexample may carry 70,000 characters). */
export function described(r: FuzzRequest): FuzzRequest {
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s);
  return Object.assign(r, {
    [fc.toStringMethod]: () => `${r.method} ${r.api} ${cut(r.path)} ${JSON.stringify(r.headers)} ${cut(JSON.stringify(String(r.body ?? '')))}`,
  });
}

/** Credentials: each role's token mostly; none, a garbage one, or a hostile one sometimes. */
export function credentials(tokens: Record<string, string>): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...Object.values(tokens)).map((t) => ({ 'x-auth-token': t })) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.oneof(anyText(20), hostileText, fc.constant(`${Object.values(tokens)[0]}x`)).map((t) => ({ 'x-auth-token': t })) },
  );
}
