import { PRINTABLE_PATTERN, type Schema } from '../validation.js';

// The building blocks of Nova's compute request schemas (nova/api/validation/parameter_types.py),
// keyword for keyword in Nova's order, so the first error found is Nova's first error.

export const name: Schema = { type: 'string', minLength: 1, maxLength: 255, format: 'name' };

export const description: Schema = { type: ['string', 'null'], minLength: 0, maxLength: 255, pattern: PRINTABLE_PATTERN };

export const boolean: Schema = {
  type: ['boolean', 'string'],
  enum: [true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes',
    false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'],
};

export const positiveInteger: Schema = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1, minLength: 1 };
export const nonNegativeInteger: Schema = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 0, minLength: 1 };

export const hostname: Schema = { type: 'string', minLength: 2, maxLength: 63, pattern: '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$' };

export const fqdn: Schema = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' };

export const uuid: Schema = { type: 'string', format: 'uuid' };

export const imageIdOrEmptyString: Schema = { oneOf: [{ type: 'string', format: 'uuid' }, { type: 'string', maxLength: 0 }] };

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
  items: {
    type: 'object',
    properties: { path: { type: 'string' }, contents: { type: 'string', format: 'base64' } },
    additionalProperties: false,
  },
};

export const MAX_TAG_LENGTH = 60;
export const MAX_TAG_COUNT = 50;
export const tag: Schema = { type: 'string', minLength: 1, maxLength: MAX_TAG_LENGTH, pattern: '^[^,/]*$' };

export const trustedCerts: Schema = {
  type: ['array', 'null'], minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string', minLength: 1 },
};

/** Query parameters: any number of values, checked one by one. */
export const multi = (items: Schema): Schema => ({ type: 'array', items });
export const queryParam = multi({ type: 'string' });
export const queryRegexParam = multi({ type: 'string', format: 'regex' });
