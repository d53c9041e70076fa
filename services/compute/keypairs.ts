import type { KeyPairRow, Models } from '../../models/index.js';
import { readRow } from '../../models/typed.js';
import { badRequest } from './errors.js';
import type { ComputeCaller } from './policy.js';

/** A user's key pair by name. */
export async function findKeyPair(d: { models: Models }, userId: string, name: string): Promise<KeyPairRow | undefined> {
  return (await readRow(d.models.KeyPair, { where: { user_id: userId, name } })) ?? undefined;
}

/**
 * The key a server boots with: `key_name` must name one of the caller's own key pairs (key pairs
 * belong to users), else Nova's 400. Answers the name and the public key to inject.
 */
export async function keyForBoot(
  d: { models: Models },
  caller: ComputeCaller,
  keyName: string | null,
): Promise<{ key_name: string | null; key_data: string | null }> {
  if (keyName === null) return { key_name: null, key_data: null };
  const keypair = await findKeyPair(d, caller.auth.userId, keyName);
  if (!keypair) throw badRequest('Invalid key_name provided.');
  return { key_name: keypair.name, key_data: keypair.public_key };
}
