// Key pairs by name: the compute service's lookup, which the key pair routes use too.
export { findKeyPair } from '../../services/compute/keypairs.js';
