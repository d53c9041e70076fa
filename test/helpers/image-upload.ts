import { request } from 'node:http';

export interface UploadReply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * An image upload the test drives chunk by chunk (chunked, or with a Content-Length), through
 * node:http so an answer given before the body is all sent (413, 410) is still read. `write`
 * resolves false once the server stopped reading.
 */
export function startUpload(url: string, token: string, headers: Record<string, string> = {}) {
  const req = request(url, { method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream', ...headers } });
  let closed = false;
  const reply = new Promise<UploadReply>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      closed = true;
      reject(error);
    });
  });
  reply.catch(() => undefined);
  return {
    reply,
    write: (chunk: Buffer) =>
      new Promise<boolean>((resolve) => {
        if (closed || req.destroyed) return resolve(false);
        req.write(chunk, (error) => resolve(!error));
      }),
    end: () => {
      if (!closed && !req.destroyed) req.end();
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
