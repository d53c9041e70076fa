import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck, type ValueError } from '@sinclair/typebox/compiler';
import type { Context } from 'koa';
import { Chars, charsBroken, isChars } from '../../runtime/chars.js';
import { readJson } from '../body.js';
import { pyRepr } from '../compute/json-schema.js';
import { KeystoneError, badRequest } from './errors.js';

// Keystone's names: at least one character that is not whitespace, lengths counted as Python counts them.
const NAME_PATTERN = '[\\S]+';
const name = (max = 255) => Chars(1, max, { pattern: NAME_PATTERN });
const ref = Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) });

export const AuthRequest = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String(), { minItems: 1 }),
      password: Type.Optional(
        Type.Object({
          user: Type.Object({
            id: Type.Optional(Type.String()),
            name: Type.Optional(Type.String()),
            domain: Type.Optional(ref),
            password: Type.String(),
          }),
        }),
      ),
      token: Type.Optional(Type.Object({ id: Type.String() })),
      application_credential: Type.Optional(
        Type.Object({
          id: Type.Optional(Type.String()),
          name: Type.Optional(Type.String()),
          secret: Type.String(),
          user: Type.Optional(Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()), domain: Type.Optional(ref) })),
        }),
      ),
    }),
    scope: Type.Optional(
      Type.Union([
        Type.Literal('unscoped'),
        Type.Object({ project: Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()), domain: Type.Optional(ref) }) }),
        Type.Object({ domain: ref }),
        Type.Object({ system: Type.Any() }),
      ]),
    ),
  }),
});

// Keystone takes `null` for a description, keeps it and shows it as null.
const describe = (max: number) => Type.Optional(Type.Union([Chars(0, max), Type.Null()]));
const description = describe(65535);
const common = { description, enabled: Type.Optional(Type.Boolean()) };
const domainCommon = { ...common, description: describe(255) };

export const DomainCreate = Type.Object({ domain: Type.Object({ name: name(64), ...domainCommon }) });
export const DomainUpdate = Type.Object({ domain: Type.Object({ name: Type.Optional(name(64)), ...domainCommon }) });
export const ProjectCreate = Type.Object({
  project: Type.Object({
    name: name(64),
    domain_id: Type.Optional(Type.String()),
    parent_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    is_domain: Type.Optional(Type.Literal(false)),
    tags: Type.Optional(Type.Array(Type.String())),
    ...common,
  }),
});
export const ProjectUpdate = Type.Object({
  project: Type.Object({ name: Type.Optional(name(64)), tags: Type.Optional(Type.Array(Type.String())), ...common }),
});
export const UserCreate = Type.Object({
  user: Type.Object({
    name: name(255),
    domain_id: Type.Optional(Type.String()),
    password: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    default_project_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    options: Type.Optional(Type.Object({})),
    ...common,
  }),
});
export const UserUpdate = Type.Object({
  user: Type.Object({
    name: Type.Optional(name(255)),
    password: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    default_project_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    options: Type.Optional(Type.Object({})),
    ...common,
  }),
});
export const PasswordChange = Type.Object({ user: Type.Object({ password: Type.String({ minLength: 1 }), original_password: Type.String() }) });
export const RoleCreate = Type.Object({
  role: Type.Object({ name: name(255), description, domain_id: Type.Optional(Type.Null()), options: Type.Optional(Type.Object({})) }),
});
export const RoleUpdate = Type.Object({ role: Type.Object({ name: Type.Optional(name(255)), description }) });
export const Ec2Create = Type.Object({ tenant_id: Type.String({ minLength: 1 }) });

const compiled = new Map<TSchema, TypeCheck<TSchema>>();

/** The request body checked against its schema; a bad one is a Keystone 400 naming the field. */
export async function body<S extends TSchema>(ctx: Context, schema: S): Promise<Static<S>> {
  let value: unknown;
  try {
    value = await readJson(ctx);
  } catch (error) {
    throw new KeystoneError((error as { status?: number }).status ?? 400, (error as Error).message);
  }
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)));
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    const field = first?.path.split('/').filter(Boolean).pop() ?? 'body';
    throw badRequest(`Invalid input for field '${field}': ${(first && charsMessage(first)) ?? first?.message ?? 'invalid'}`);
  }
  return value;
}

/** jsonschema's words for a string outside its bounds (a Chars schema, alone or as a member of a nullable union). */
function charsMessage(error: ValueError): string | undefined {
  if (typeof error.value !== 'string') return isChars(error.schema) ? 'Expected string' : undefined;
  const schema = isChars(error.schema) ? error.schema : (error.schema.anyOf as TSchema[] | undefined)?.find(isChars);
  switch (schema && charsBroken(schema, error.value)) {
    case 'minLength':
      return `${pyRepr(error.value)} is too short`;
    case 'maxLength':
      return `${pyRepr(error.value)} is too long`;
    case 'pattern':
      return `${pyRepr(error.value)} does not match ${pyRepr(schema!.pattern)}`;
    default:
      return undefined;
  }
}

// The catalog's bodies (keystone/catalog/schema.py).
const regionId = (min = 1) => Type.Union([Chars(min, 255), Type.Null()]);
const regionFields = { description: Type.Optional(Type.Union([Chars(0, 255), Type.Null()])), parent_region_id: Type.Optional(regionId()) };
export const RegionCreate = Type.Object({ region: Type.Object({ id: Type.Optional(regionId(0)), ...regionFields }) });
export const RegionUpdate = Type.Object({ region: Type.Object({ id: Type.Optional(regionId()), ...regionFields }, { minProperties: 1 }) });
const serviceFields = { description, enabled: Type.Optional(Type.Boolean()) };
export const ServiceCreate = Type.Object({
  service: Type.Object({ type: Chars(1, 255), name: Type.Optional(Chars(0, 255)), ...serviceFields }),
});
export const ServiceUpdate = Type.Object({
  service: Type.Object({ type: Type.Optional(Chars(1, 255)), name: Type.Optional(Chars(0, 255)), ...serviceFields }, { minProperties: 1 }),
});
const endpointUrl = Chars(0, 225, { pattern: '^[a-zA-Z0-9+.-]+:.+' });
const endpointInterface = Type.Union([Type.Literal('public'), Type.Literal('internal'), Type.Literal('admin')]);
const endpointFields = { region_id: Type.Optional(regionId()), region: Type.Optional(regionId()), enabled: Type.Optional(Type.Boolean()) };
export const EndpointCreate = Type.Object({
  endpoint: Type.Object({ service_id: Chars(1, 64), interface: endpointInterface, url: endpointUrl, ...endpointFields }),
});
export const EndpointUpdate = Type.Object({
  endpoint: Type.Object(
    { service_id: Type.Optional(Chars(1, 64)), interface: Type.Optional(endpointInterface), url: Type.Optional(endpointUrl), ...endpointFields },
    { minProperties: 1 },
  ),
});

export const GroupCreate = Type.Object({ group: Type.Object({ name: name(64), domain_id: Type.Optional(Type.String()), description }) });
export const GroupUpdate = Type.Object({ group: Type.Object({ name: Type.Optional(name(64)), description }, { minProperties: 1 }) });

const accessRule = Type.Object(
  {
    id: Type.Optional(Chars(1, 64)),
    path: Type.Optional(Chars(1, 255, { pattern: '^/' })),
    method: Type.Optional(
      Type.Union([
        Type.Literal('DELETE'),
        Type.Literal('GET'),
        Type.Literal('HEAD'),
        Type.Literal('PATCH'),
        Type.Literal('POST'),
        Type.Literal('PUT'),
      ]),
    ),
    service: Type.Optional(Chars(1, 255)),
  },
  { additionalProperties: false },
);
export const ApplicationCredentialCreate = Type.Object({
  application_credential: Type.Object({
    name: Chars(1, 255),
    description: Type.Optional(Type.Union([Chars(0, 65535), Type.Null()])),
    secret: Type.Optional(Type.Union([Chars(1, 255), Type.Null()])),
    expires_at: Type.Optional(Type.Union([Chars(1, 64), Type.Null()])),
    roles: Type.Optional(Type.Array(Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) }), { maxItems: 64 })),
    unrestricted: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    access_rules: Type.Optional(Type.Array(accessRule, { maxItems: 64 })),
  }),
});

// Unified limits (keystone/limit/schema.py): -1 means unlimited; a signed 32-bit integer at most.
const limitValue = Type.Integer({ minimum: -1, maximum: 0x7fffffff });
const limitDescription = Type.Optional(Type.Union([Chars(0, 255), Type.Null()]));
export const RegisteredLimitsCreate = Type.Object({
  registered_limits: Type.Array(
    Type.Object(
      {
        service_id: Chars(1, 64),
        region_id: Type.Optional(regionId()),
        resource_name: name(255),
        default_limit: limitValue,
        description: limitDescription,
      },
      { additionalProperties: false },
    ),
    { minItems: 1, maxItems: 100 },
  ),
});
export const RegisteredLimitUpdate = Type.Object({
  registered_limit: Type.Object(
    {
      service_id: Type.Optional(Chars(1, 64)),
      region_id: Type.Optional(regionId()),
      resource_name: Type.Optional(name(255)),
      default_limit: Type.Optional(limitValue),
      description: limitDescription,
    },
    { additionalProperties: false, minProperties: 1 },
  ),
});
export const LimitsCreate = Type.Object({
  limits: Type.Array(
    Type.Object(
      {
        project_id: Type.Optional(Chars(1, 64)),
        domain_id: Type.Optional(Chars(1, 64)),
        service_id: Chars(1, 64),
        region_id: Type.Optional(regionId()),
        resource_name: name(255),
        resource_limit: limitValue,
        description: limitDescription,
      },
      { additionalProperties: false },
    ),
    { minItems: 1, maxItems: 100 },
  ),
});
export const LimitUpdate = Type.Object({
  limit: Type.Object({ resource_limit: Type.Optional(limitValue), description: limitDescription }, { additionalProperties: false, minProperties: 1 }),
});
