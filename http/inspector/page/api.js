// The page's calls: the JSON API under <path>/api with the session's token (never a cookie) and, on actions, the
// CSRF value the sign-in answered; and the change stream, whose first message carries the token.

const base = new URL('./', location.href);
const KEY = 'stratus-inspector-session';

export const session = {
  get() {
    const text = sessionStorage.getItem(KEY);
    return text ? JSON.parse(text) : undefined;
  },
  set(value) {
    sessionStorage.setItem(KEY, JSON.stringify(value));
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function answer(r) {
  const text = await r.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!r.ok) throw new ApiError(r.status, body?.error?.message ?? r.statusText);
  return body;
}

export async function signIn(fields) {
  const r = await fetch(new URL('api/session', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  const body = await answer(r);
  session.set(body.session);
  return body.session;
}

export async function call(method, path, query, body) {
  const s = session.get();
  if (!s) throw new ApiError(401, 'signed out');
  const url = new URL(`api/${path}`, base);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const headers = { 'x-auth-token': s.token };
  if (method !== 'GET') headers['x-csrf-token'] = s.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return answer(await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }));
}

/** Opens the stream: `onBatch` gets each batch, `onClose` the reason it ended. */
export function stream(onMessage, onClose) {
  const s = session.get();
  const url = new URL('stream', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'auth', token: s.token })));
  ws.addEventListener('message', (e) => onMessage(JSON.parse(e.data)));
  ws.addEventListener('close', (e) => onClose(e.code, e.reason));
  return {
    view(v) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'view', ...v }));
    },
    close() {
      ws.close();
    },
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
  };
}
