import fc from 'fast-check';
import { anyJson, anyText, dateTimeText, edgeNumbers, edgeNumberTexts, ipv4Text, shortHostileText, ipv6Text, regexText, uuidText } from './values.js';

/**
 * A JSON schema (Nova's draft-4 subset in http/compute/json-schema.ts, or a TypeBox schema as
 * identity's) turned into a fast-check arbitrary over its full value domain: mostly values the
 * schema accepts — boundary lengths and numbers among them — and, at every node, some values
 * just outside it (one past a bound, the wrong type) or hostile ones.
 */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  minProperties?: number;
  maxProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
}

// Arrays and strings are kept small so that a request stays cheap; bounds are still reached.
const MAX_ARRAY = 4;
const MAX_TEXT = 300;

// Arbitraries are built once per schema object (Nova's parameter types are shared across microversions).
const built = new WeakMap<JsonSchema, fc.Arbitrary<unknown>>();
const patterns = new Map<string, fc.Arbitrary<string>>();

/** Values of a schema: valid ones mostly, near misses and hostile ones at every node. */
export function arbitraryOf(schema: JsonSchema): fc.Arbitrary<unknown> {
  let arbitrary = built.get(schema);
  if (!arbitrary) built.set(schema, (arbitrary = build(schema)));
  return arbitrary;
}

function build(schema: JsonSchema): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 18, arbitrary: valid(schema) }, { weight: 1, arbitrary: nearMiss(schema) }, { weight: 1, arbitrary: anyJson });
}

function merged(schemas: JsonSchema[]): JsonSchema {
  return schemas.reduce<JsonSchema>((all, s) => ({ ...all, ...s }), {});
}

function valid(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.allOf) return valid(merged([schema, ...schema.allOf].map((s) => ({ ...s, allOf: undefined }))));
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    const rest = { ...schema, oneOf: undefined, anyOf: undefined };
    return fc.oneof(...alternatives.map((s) => arbitraryOf({ ...rest, ...s })));
  }
  const types = schema.type === undefined ? inferTypes(schema) : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (!types.length) return anyJson;
  return fc.oneof(...types.map((t) => ofType(t, schema)));
}

function inferTypes(schema: JsonSchema): string[] {
  if (schema.properties || schema.patternProperties) return ['object'];
  if (schema.items) return ['array'];
  if (schema.format || schema.pattern || schema.maxLength !== undefined) return ['string'];
  return [];
}

function ofType(type: string, schema: JsonSchema): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return integers(schema);
    case 'number':
      return fc.oneof(integers(schema), fc.double({ noNaN: true, noDefaultInfinity: true }));
    case 'string':
      return strings(schema);
    case 'array':
      return arrays(schema);
    case 'object':
      return objects(schema);
    default:
      return anyJson;
  }
}

function integers(schema: JsonSchema): fc.Arbitrary<unknown> {
  const min = schema.minimum ?? -(2 ** 31);
  const max = schema.maximum ?? 2 ** 31;
  const bounds = [min, max, min - 1, max + 1].filter(Number.isSafeInteger);
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }) },
    { weight: 2, arbitrary: fc.constantFrom(...bounds) },
    { weight: 1, arbitrary: fc.constantFrom(...edgeNumbers) },
  );
}

function strings(schema: JsonSchema): fc.Arbitrary<unknown> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 64, MAX_TEXT);
  // Strings that are numbers (Nova's integer-or-string parameters) at their bounds.
  const numeric =
    schema.minimum !== undefined || schema.maximum !== undefined || schema.pattern?.includes('[0-9]')
      ? [fc.oneof(integers(schema).map(String), fc.constantFrom(...edgeNumberTexts))]
      : [];
  const byFormat = formatted(schema.format);
  if (byFormat) return fc.oneof({ weight: 4, arbitrary: byFormat }, ...numeric);
  const lengths = [
    ...new Set([
      min,
      max,
      max + 1,
      Math.max(0, min - 1),
      ...(schema.maxLength !== undefined && schema.maxLength <= 4_096 ? [schema.maxLength, schema.maxLength + 1] : []),
    ]),
  ];
  const atBounds = fc.tuple(fc.constantFrom(...lengths), fc.constantFrom('a', '\u00e9', '\u{1F600}', ' ', 'Z')).map(([n, c]) => c.repeat(n));
  const patterned = schema.pattern ? [matching(schema.pattern)] : [];
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, 24)) }) },
    { weight: 2, arbitrary: anyText(Math.min(max, 40)) },
    { weight: 2, arbitrary: atBounds },
    ...patterned.map((arbitrary) => ({ weight: 4, arbitrary })),
    ...numeric.map((arbitrary) => ({ weight: 3, arbitrary })),
  );
}

function matching(pattern: string): fc.Arbitrary<string> {
  let arbitrary = patterns.get(pattern);
  if (!arbitrary) {
    try {
      arbitrary = fc.stringMatching(new RegExp(pattern, 'u'));
    } catch {
      arbitrary = fc.string({ maxLength: 20 });
    }
    patterns.set(pattern, arbitrary);
  }
  return arbitrary;
}

function formatted(format: string | undefined): fc.Arbitrary<string> | undefined {
  switch (format) {
    case undefined:
      return undefined;
    case 'uuid':
      return uuidText;
    case 'ipv4':
      return fc.oneof(ipv4Text, ipv6Text);
    case 'ipv6':
      return fc.oneof(ipv6Text, ipv4Text);
    case 'date-time':
      return dateTimeText;
    case 'regex':
      return regexText;
    case 'base64':
      return fc.oneof(fc.base64String({ maxLength: 64 }), fc.constantFrom('=', 'a', 'abc', '!!!!', 'YQ', 'YQ==='));
    default:
      return fc.oneof(anyText(64), fc.string({ minLength: 1, maxLength: 64 }));
  }
}

function arrays(schema: JsonSchema): fc.Arbitrary<unknown> {
  const item = schema.items ? arbitraryOf(schema.items) : anyJson;
  const min = schema.minItems ?? 0;
  const max = Math.max(min, Math.min(schema.maxItems ?? MAX_ARRAY, MAX_ARRAY));
  const ordinary = fc.array(item, { minLength: min, maxLength: max });
  // One past the most items a schema allows, made of one repeated value.
  const over =
    schema.maxItems !== undefined && schema.maxItems <= 1_000
      ? [
          fc
            .tuple(item, fc.boolean())
            .map(([v, distinct]) => Array.from({ length: schema.maxItems! + 1 }, (_, i) => (distinct && typeof v === 'string' ? `${v}${i}` : v))),
        ]
      : [];
  return fc.oneof({ weight: 6, arbitrary: ordinary }, ...over);
}

function objects(schema: JsonSchema): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const model = Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, arbitraryOf(s)]));
  const required = (schema.required ?? []).filter((k) => k in properties);
  const known = fc.record(model, { requiredKeys: required });
  const patterned = Object.entries(schema.patternProperties ?? {}).map(([pattern, sub]) =>
    fc.dictionary(fc.oneof(matching(pattern), anyText(10)), arbitraryOf(sub), { maxKeys: 3 }),
  );
  const extra = fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), shortHostileText), anyJson, { maxKeys: 1 });
  // Nova's refusal of extras is tried more rarely than the fields themselves.
  return fc
    .tuple(
      known,
      patterned.length ? fc.oneof(...patterned) : fc.constant({}),
      fc.oneof({ weight: 6, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extra }),
    )
    .map(([k, p, e]) => ({ ...e, ...p, ...(k as object) }));
}

/** Just outside the schema: the wrong type, or a bound passed. */
function nearMiss(schema: JsonSchema): fc.Arbitrary<unknown> {
  const misses: unknown[] = [null, true, 0, -1, '', 'x', [], {}, 1e308, '1e308', -0, 2 ** 53 + 2];
  if (schema.maxLength !== undefined && schema.maxLength <= 4_096) misses.push('b'.repeat(schema.maxLength + 1));
  if (schema.minLength) misses.push('c'.repeat(schema.minLength - 1));
  if (schema.maximum !== undefined) misses.push(schema.maximum + 1, String(schema.maximum + 1));
  if (schema.minimum !== undefined) misses.push(schema.minimum - 1, String(schema.minimum - 1));
  if (schema.enum) misses.push(...schema.enum.filter((e) => typeof e === 'string').map((e) => e.toLowerCase() + ' '));
  return fc.oneof(fc.constantFrom(...misses), shortHostileText);
}
