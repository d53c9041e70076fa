// Where a running domain's consoles listen, read from its live XML: libvirt fills in the ports autoport chose.
// The VNC password is there only when the XML is read with VIR_DOMAIN_XML_SECURE: it is a secret, never log it.

export interface ConsoleEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface ConsoleEndpoints {
  readonly vnc?: ConsoleEndpoint & { readonly password?: string };
  readonly spice?: ConsoleEndpoint;
  readonly serial?: ConsoleEndpoint;
}

const attr = (element: string, name: string): string | undefined => new RegExp(`\\s${name}='([^']*)'`).exec(element)?.[1];

const unescape = (s: string) =>
  s
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** A port libvirt has assigned: autoport leaves -1 in a domain that is not running. */
const assigned = (value: string | undefined): number | undefined => {
  const port = Number(value);
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined;
};

/** The consoles of a domain's live XML; one absent or not listening (the domain is off) is left out. */
export function consoleEndpointsOf(xml: string): ConsoleEndpoints {
  const out: { vnc?: ConsoleEndpoint & { password?: string }; spice?: ConsoleEndpoint; serial?: ConsoleEndpoint } = {};
  for (const [element] of xml.matchAll(/<graphics\s[^>]*>/g)) {
    const type = attr(element, 'type');
    const port = assigned(attr(element, 'port'));
    const host = attr(element, 'listen') ?? '127.0.0.1';
    if (port === undefined) continue;
    if (type === 'vnc' && !out.vnc) {
      const password = attr(element, 'passwd');
      out.vnc = { host, port, ...(password !== undefined ? { password: unescape(password) } : {}) };
    } else if (type === 'spice' && !out.spice) out.spice = { host, port };
  }
  const serial = /<serial type='tcp'>([\s\S]*?)<\/serial>/.exec(xml)?.[1];
  const source = serial ? /<source\s[^>]*>/.exec(serial)?.[0] : undefined;
  const servicePort = source ? assigned(attr(source, 'service')) : undefined;
  if (source && servicePort !== undefined && attr(source, 'mode') === 'bind')
    out.serial = { host: attr(source, 'host') ?? '127.0.0.1', port: servicePort };
  return out;
}
