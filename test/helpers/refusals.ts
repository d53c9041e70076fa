import type { ExecutionContext } from 'ava';

// A refusal is judged by its status AND its body in the client's own format, with the message the
// API means: a 500, or a right status with a wrong or shapeless body, never passes as "refused".

interface Answer {
  status: number;
  body: any;
}
type Message = string | RegExp;

// Nova's fault names by status (nova/api/openstack/wsgi.py Fault._fault_names); others are computeFault.
const NOVA_FAULTS: Record<number, string> = {
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

const said = (t: ExecutionContext, actual: unknown, expected: Message, r: Answer) => {
  if (typeof expected === 'string') t.is(actual, expected, JSON.stringify(r.body));
  else t.regex(typeof actual === 'string' ? actual : '', expected, JSON.stringify(r.body));
};

/** The Compute API's refusal: `{"<fault name>": {"code": status, "message": …}}`. */
export function novaRefused(t: ExecutionContext, r: Answer, status: number, message: Message): void {
  t.is(r.status, status, JSON.stringify(r.body));
  const name = NOVA_FAULTS[status] ?? 'computeFault';
  t.deepEqual(Object.keys(r.body ?? {}), [name], JSON.stringify(r.body));
  t.is(r.body?.[name]?.code, status);
  said(t, r.body?.[name]?.message, message, r);
}

/** Keystone's refusal (also what every API answers a request without a valid token): `{"error": {"code", "title", "message"}}`. */
export function keystoneRefused(t: ExecutionContext, r: Answer, status: number, message: Message): void {
  t.is(r.status, status, JSON.stringify(r.body));
  t.deepEqual(Object.keys(r.body ?? {}), ['error'], JSON.stringify(r.body));
  t.is(r.body?.error?.code, status);
  t.is(typeof r.body?.error?.title, 'string');
  said(t, r.body?.error?.message, message, r);
}

/** The Image API's refusal: `{"code", "title", "message"}`. */
export function glanceRefused(t: ExecutionContext, r: Answer, status: number, message: Message): void {
  t.is(r.status, status, JSON.stringify(r.body));
  t.is(r.body?.code, status, JSON.stringify(r.body));
  t.is(typeof r.body?.title, 'string');
  said(t, r.body?.message, message, r);
}

/** A fetch Response as the helpers above read it: its status and its body, parsed when it is JSON. */
export async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}
