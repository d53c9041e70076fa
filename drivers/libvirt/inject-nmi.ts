import { execFile } from 'node:child_process';

// virDomainInjectNMI, which our binding does not offer yet: through `virsh inject-nmi` on the host's own URI.
// libvirt's test driver accepts it for a running domain; QEMU injects the NMI into the guest.

export type NmiOutcome =
  { readonly ok: true } | { readonly ok: false; readonly reason: 'not_running' | 'unsupported' | 'failed'; readonly message: string };

const TIMEOUT_MS = 10_000;

/** Injects an NMI into the domain named by `uuid`; never throws, the outcome says what libvirt answered. */
export function injectNmi(uri: string, uuid: string): Promise<NmiOutcome> {
  return new Promise((resolve) => {
    execFile('virsh', ['-q', '-c', uri, 'inject-nmi', uuid], { timeout: TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve({ ok: true });
      const message = (stderr || error.message)
        .trim()
        .replace(/^error: /gm, '')
        .slice(0, 1024);
      // virsh prints libvirt's own messages: VIR_ERR_OPERATION_INVALID and VIR_ERR_NO_SUPPORT read so.
      if (/not running|operation is not valid/i.test(message)) return resolve({ ok: false, reason: 'not_running', message });
      if (/not supported/i.test(message)) return resolve({ ok: false, reason: 'unsupported', message });
      resolve({ ok: false, reason: 'failed', message });
    });
  });
}
