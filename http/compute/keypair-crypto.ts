import { createHash, createPublicKey, generateKeyPair, X509Certificate, type JsonWebKey } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Key pairs as Nova makes and checks them (nova/crypto.py): generated RSA keys in OpenSSH's public
// format with a PEM private key, MD5 fingerprints of the public key blob, SHA-1 fingerprints of
// X.509 certificates.

export class InvalidKeypair extends Error {}

const run = promisify(execFile);
const colons = (hex: string) => hex.match(/../g)!.join(':');

/** Reads an SSH wire-format string (uint32 length, bytes) at `offset`. */
function sshString(blob: Buffer, offset: number): [Buffer, number] {
  if (offset + 4 > blob.length) throw new Error('truncated');
  const length = blob.readUInt32BE(offset);
  const end = offset + 4 + length;
  if (end > blob.length) throw new Error('truncated');
  return [blob.subarray(offset + 4, end), end];
}

const base64url = (b: Buffer) => b.toString('base64url');
const unsigned = (mpint: Buffer) => (mpint[0] === 0 ? mpint.subarray(1) : mpint);

const CURVES: Record<string, { name: string; crv: string; size: number }> = {
  'ecdsa-sha2-nistp256': { name: 'nistp256', crv: 'P-256', size: 32 },
  'ecdsa-sha2-nistp384': { name: 'nistp384', crv: 'P-384', size: 48 },
  'ecdsa-sha2-nistp521': { name: 'nistp521', crv: 'P-521', size: 66 },
};

/** The public key in a blob of the given type, as a JWK (DSA keys are checked for shape only). */
function parseKeyBlob(type: string, blob: Buffer): JsonWebKey | undefined {
  const [inner, afterType] = sshString(blob, 0);
  if (inner.toString('latin1') !== type) throw new Error('key type mismatch');
  let offset = afterType;
  const next = () => {
    const [value, end] = sshString(blob, offset);
    offset = end;
    return value;
  };
  let jwk: JsonWebKey | undefined;
  if (type === 'ssh-rsa') {
    const e = next();
    const n = next();
    jwk = { kty: 'RSA', e: base64url(unsigned(e)), n: base64url(unsigned(n)) };
  } else if (type === 'ssh-ed25519') {
    const key = next();
    if (key.length !== 32) throw new Error('bad ed25519 key');
    jwk = { kty: 'OKP', crv: 'Ed25519', x: base64url(key) };
  } else if (CURVES[type]) {
    const curve = CURVES[type];
    if (next().toString('latin1') !== curve.name) throw new Error('curve mismatch');
    const point = next();
    if (point.length !== 1 + 2 * curve.size || point[0] !== 4) throw new Error('bad point');
    jwk = { kty: 'EC', crv: curve.crv, x: base64url(point.subarray(1, 1 + curve.size)), y: base64url(point.subarray(1 + curve.size)) };
  } else if (type === 'ssh-dss') {
    for (let i = 0; i < 4; i++) next();
  } else {
    throw new Error('unsupported key type');
  }
  if (offset !== blob.length) throw new Error('trailing data');
  return jwk;
}

/** Nova's fingerprint of an OpenSSH public key, once the key has been parsed as a real key. */
export function sshFingerprint(publicKey: string): string {
  try {
    const match = /^(\S+)[ \t]+(\S+)/.exec(publicKey);
    if (!match) throw new Error('not an OpenSSH key');
    const [, type, body] = match;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) throw new Error('bad base64');
    const jwk = parseKeyBlob(type, Buffer.from(body, 'base64'));
    if (jwk) createPublicKey({ key: jwk, format: 'jwk' });
    // Nova hashes what follows the first single space, as it splits the line.
    const blob = Buffer.from(publicKey.split(' ')[1] ?? '', 'base64');
    return colons(createHash('md5').update(blob).digest('hex'));
  } catch {
    throw new InvalidKeypair('failed to generate fingerprint');
  }
}

/** Nova's fingerprint of a PEM certificate: SHA-1 of its DER form. */
export function x509Fingerprint(pem: string): string {
  let certificate: X509Certificate;
  try {
    if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new Error();
    certificate = new X509Certificate(pem);
  } catch {
    throw new InvalidKeypair(
      'failed to generate X509 fingerprint. Error message: Unable to load certificate. ' +
        'See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file for more details.',
    );
  }
  return certificate.fingerprint.toLowerCase();
}

export interface GeneratedKeyPair {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

const sshBlobString = (b: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(b.length);
  return Buffer.concat([length, b]);
};
// An mpint is big-endian two's complement: a leading zero byte keeps a high bit from reading as negative.
const mpint = (b64url: string) => {
  const b = Buffer.from(b64url, 'base64url');
  return sshBlobString(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
};

/** A new RSA 2048 key pair, as Nova generates one (the comment says who made it). */
export async function generateSshKeyPair(): Promise<GeneratedKeyPair> {
  // @types/node's generateKeyPair overloads know no 'jwk' public key encoding, which Node supports.
  const { publicKey, privateKey } = (await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'jwk' } as never,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  })) as unknown as { publicKey: JsonWebKey; privateKey: string };
  const blob = Buffer.concat([sshBlobString(Buffer.from('ssh-rsa')), mpint(publicKey.e!), mpint(publicKey.n!)]);
  const line = `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`;
  return { privateKey, publicKey: line, fingerprint: sshFingerprint(line) };
}

const OPENSSL_CONFIG = (upn: string) => `distinguished_name  = req_distinguished_name
[req_distinguished_name]
[v3_req_client]
extendedKeyUsage = clientAuth
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:${upn}
`;

/**
 * A certificate for WinRM's passwordless login as the user, as Nova makes one with openssl:
 * the PEM certificate is the public key, the private key a PKCS#12 bundle in base64.
 */
export async function generateX509KeyPair(userId: string): Promise<GeneratedKeyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-x509-'));
  try {
    const keyFile = join(dir, 'temp.key');
    const configFile = join(dir, 'temp.conf');
    const certFile = join(dir, 'temp.crt');
    await writeFile(configFile, OPENSSL_CONFIG(`${userId}@localhost`));
    await run('openssl', [
      'req',
      '-x509',
      '-nodes',
      '-days',
      '3650',
      '-config',
      configFile,
      '-newkey',
      'rsa:2048',
      '-outform',
      'PEM',
      '-keyout',
      keyFile,
      '-subj',
      `/CN=${userId}`,
      '-extensions',
      'v3_req_client',
      '-out',
      certFile,
    ]);
    await run('openssl', ['pkcs12', '-export', '-inkey', keyFile, '-in', certFile, '-password', 'pass:', '-out', join(dir, 'temp.p12')]);
    const certificate = await readFile(certFile, 'utf8');
    const bundle = await readFile(join(dir, 'temp.p12'));
    return { privateKey: bundle.toString('base64'), publicKey: certificate, fingerprint: x509Fingerprint(certificate) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
