import { request } from 'node:http';

export interface UploadReply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * An image upload the test drives chunk by chunk (chunked, or with a Content-Length), through
 * node:http so an answer given before the body is all sent (413, 410) is still read. `write`
 * resolves false once the server answered or the connection went.
 */
export function startUpload(url: string, token: string, headers: Record<string, string> = {}) {
  const req = request(url, { method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', ...headers } });
  let closed = false;
  // A write still waiting when the server answers or the connection goes would wait forever (a server that stopped
  // reading leaves the kernel's buffers full): it resolves false then, as a client stops sending once answered.
  const waiting = new Set<(sent: boolean) => void>();
  const stop = () => {
    closed = true;
    for (const resolve of waiting) resolve(false);
    waiting.clear();
  };
  req.on('close', stop);
  const reply = new Promise<UploadReply>((resolve, reject) => {
    req.on('response', (res) => {
      stop();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      stop();
      reject(error);
    });
  });
  reply.catch(() => undefined);
  return {
    reply,
    write: (chunk: Buffer) =>
      new Promise<boolean>((resolve) => {
        if (closed || req.destroyed) return resolve(false);
        waiting.add(resolve);
        req.write(chunk, (error) => {
          waiting.delete(resolve);
          resolve(!error);
        });
      }),
    end: () => {
      if (!req.destroyed && !req.writableEnded) req.end();
    },
    abort: () => req.destroy(),
  };
}

/** Sends `data` as one upload (chunked unless `length` is given) and answers the reply. */
export async function upload(url: string, token: string, data: Buffer, options: { declare?: number } = {}): Promise<UploadReply> {
  const u = startUpload(url, token, options.declare !== undefined ? { 'content-length': String(options.declare) } : {});
  for (let at = 0; at < data.length; at += 65_536) if (!(await u.write(data.subarray(at, at + 65_536)))) break;
  u.end();
  return u.reply;
}
