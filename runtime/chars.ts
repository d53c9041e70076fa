import { Kind, Type, TypeRegistry, type TSchema, type TUnsafe } from '@sinclair/typebox';

// Nova, Keystone and Glance bound strings by Python's len, which counts code points; a JS string's length (and so
// JSON Schema's maxLength as TypeBox checks it) counts UTF-16 units, two for an astral character such as an emoji.
// Every length limit on a request or a message counts through here so the two agree.

/** A string's length as Python's len gives it: its code points. */
export function charLength(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++, n++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return n;
}

/** Whether a string's length in code points lies within the bounds (either may be left out). */
export const charsWithin = (value: string, min = 0, max = Infinity): boolean => {
  const n = charLength(value);
  return n >= min && n <= max;
};

export interface CharsSchema extends TUnsafe<string> {
  [Kind]: 'Chars';
  type: 'string';
  minChars: number;
  maxChars: number;
  pattern?: string;
}

const patterns = new Map<string, RegExp>();
const matches = (pattern: string, value: string) => {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(pattern)));
  return re.test(value);
};

TypeRegistry.Set<CharsSchema>(
  'Chars',
  (schema, value) =>
    typeof value === 'string' && charsWithin(value, schema.minChars, schema.maxChars) && (!schema.pattern || matches(schema.pattern, value)),
);

/** A string of `min` to `max` characters counted as code points, optionally matching `pattern` (unanchored, as JSON Schema's). */
export const Chars = (min: number, max: number, options: { pattern?: string } = {}): CharsSchema =>
  Type.Unsafe<string>({ [Kind]: 'Chars', type: 'string', minChars: min, maxChars: max, ...options }) as CharsSchema;

/** Whether a schema is a Chars one, for callers that word their own refusal. */
export const isChars = (schema: TSchema | undefined): schema is CharsSchema => schema?.[Kind] === 'Chars';

/** The JSON Schema keyword a string breaks, in the order jsonschema checks them, or undefined when it keeps them all. */
export function charsBroken(schema: CharsSchema, value: string): 'minLength' | 'maxLength' | 'pattern' | undefined {
  const n = charLength(value);
  if (n < schema.minChars) return 'minLength';
  if (n > schema.maxChars) return 'maxLength';
  if (schema.pattern && !matches(schema.pattern, value)) return 'pattern';
  return undefined;
}
