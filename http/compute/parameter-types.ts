import { defineFormat, multiParams, type Schema } from './json-schema.js';
import './nova-values.js';

// Nova's shared request parameter types (nova/api/validation/parameter_types.py), as behaviour:
// which values pass and in which words the others are refused.

// Nova's printable class: no control, format, unassigned or line/paragraph separator characters,
// and nothing beyond the Basic Multilingual Plane (its ranges are built over U+0000–U+FFFE).
const printable = /^[^\p{C}\p{Zl}\p{Zp}\u{FFFF}-\u{10FFFF}]*$/u;
const spaceAt = (s: string, i: number) => /^\p{Zs}$/u.test([...s].at(i) ?? '');

const NAME_REASON = 'printable characters. Can not start or end with whitespace.';
const LEADING_TRAILING_REASON = 'printable characters with at least one non space character';

defineFormat('name', (v) =>
  typeof v === 'string' && printable.test(v) && !spaceAt(v, 0) && !spaceAt(v, -1) ? true : { reason: invalidName(NAME_REASON) },
);
defineFormat('name_with_leading_trailing_spaces', (v) =>
  typeof v === 'string' && printable.test(v) && /[^\p{Zs}]/u.test(v) ? true : { reason: invalidName(LEADING_TRAILING_REASON) },
);

const KEYPAIR_20 = '_- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const KEYPAIR_292 = '@._- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const onlyChars = (safe: string) => (v: unknown) =>
  typeof v === 'string' && [...v].every((c) => safe.includes(c)) ? (true as const) : { reason: invalidName(`Only expected characters: [${safe}]`) };
defineFormat('keypair_name_20', onlyChars(KEYPAIR_20));
defineFormat('keypair_name_292', onlyChars(KEYPAIR_292));

function invalidName(reason: string): string {
  return `An invalid 'name' value was provided. The name must be: ${reason}`;
}

const MAX_INT = 0x7fffffff;

export const name: Schema = { type: 'string', minLength: 1, maxLength: 255, format: 'name' };
export const nameWithLeadingTrailingSpaces: Schema = { type: 'string', minLength: 1, maxLength: 255, format: 'name_with_leading_trailing_spaces' };
export const keypairName: Schema = { allOf: [name, { type: 'string', minLength: 1, maxLength: 255, format: 'keypair_name_20' }] };
export const keypairName292: Schema = { allOf: [name, { type: 'string', minLength: 1, maxLength: 255, format: 'keypair_name_292' }] };

export const boolean: Schema = {
  type: ['boolean', 'string'],
  enum: [
    true,
    'True',
    'TRUE',
    'true',
    '1',
    'ON',
    'On',
    'on',
    'YES',
    'Yes',
    'yes',
    false,
    'False',
    'FALSE',
    'false',
    '0',
    'OFF',
    'Off',
    'off',
    'NO',
    'No',
    'no',
  ],
};

export const nonNegativeInteger: Schema = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 0, minLength: 1 };
export const flavorParamPositive: Schema = { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1, maximum: MAX_INT };
export const flavorParamNonNegative: Schema = { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 0, maximum: MAX_INT };

export const descriptionPattern = '^[^\\p{C}\\p{Zl}\\p{Zp}\\u{FFFF}-\\u{10FFFF}]*$';

export const paginationParameters = {
  limit: { type: 'array', items: nonNegativeInteger } as Schema,
  marker: { type: 'array', items: { type: 'string' } } as Schema,
};

// The types of the servers' request schemas.
export const description: Schema = { type: ['string', 'null'], minLength: 0, maxLength: 255, pattern: descriptionPattern };
export const positiveInteger: Schema = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1, minLength: 1 };
export const hostname: Schema = { type: 'string', minLength: 2, maxLength: 63, pattern: '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$' };
export const fqdn: Schema = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' };
export const uuid: Schema = { type: 'string', format: 'uuid' };
export const imageIdOrEmptyString: Schema = {
  oneOf: [
    { type: 'string', format: 'uuid' },
    { type: 'string', maxLength: 0 },
  ],
};
export const flavorRef: Schema = { type: ['string', 'integer'], minLength: 1 };
export const adminPassword: Schema = { type: 'string' };

export const METADATA_KEY = '^[a-zA-Z0-9-_:. ]{1,255}$';
export const metadata: Schema = {
  type: 'object',
  patternProperties: { [METADATA_KEY]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
};

export const ipAddress: Schema = { type: 'string', oneOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };
export const accessIPv4: Schema = { type: 'string', format: 'ipv4' };
export const accessIPv6: Schema = { type: 'string', format: 'ipv6' };
export const diskConfig: Schema = { type: 'string', enum: ['AUTO', 'MANUAL'] };
export const personality: Schema = {
  type: 'array',
  items: { type: 'object', properties: { path: { type: 'string' }, contents: { type: 'string', format: 'base64' } }, additionalProperties: false },
};

export const MAX_TAG_LENGTH = 60;
export const MAX_TAG_COUNT = 50;
export const tag: Schema = { type: 'string', minLength: 1, maxLength: MAX_TAG_LENGTH, pattern: '^[^,/]*$' };
export const trustedCerts: Schema = {
  type: ['array', 'null'],
  minItems: 1,
  maxItems: 50,
  uniqueItems: true,
  items: { type: 'string', minLength: 1 },
};

export const queryParam = multiParams({ type: 'string' });
export const queryRegexParam = multiParams({ type: 'string', format: 'regex' });
