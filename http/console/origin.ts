// The lessons of nova-novncproxy: a browser's WebSocket to the proxy must come from a page of the proxy itself (or an
// allowed origin), with a matching scheme (cross-site WebSocket hijacking, CVE-2015-0259); a request path starting
// with `//` is refused (an open redirect in websockify's file server, CVE-2021-3654).

/** The host name of a Host header (`name`, `name:port`, `[v6]:port`). */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']')).toLowerCase();
  return host.split(':')[0].toLowerCase();
}

/**
 * Whether a WebSocket request's Origin may open a console: absent (not a browser), or naming the proxy's own host
 * (as the request's Host says) or one of `allowed`, by the scheme of the connection (http/ws, or https/wss over TLS).
 */
export function originAllowed(origin: string | undefined, host: string | undefined, secure: boolean, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const schemes = secure ? ['https:', 'wss:'] : ['http:', 'ws:'];
  if (!schemes.includes(url.protocol)) return false;
  const name = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (host !== undefined && name === hostnameOf(host)) || allowed.some((a) => a.toLowerCase() === name);
}

/** A path starting with `//` (or `/\`): refused with 400, whatever follows. */
export const doubleSlash = (url: string | undefined): boolean => /^\/[/\\]/.test(url ?? '');
