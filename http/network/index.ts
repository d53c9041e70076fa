export { networkApp } from './app.js';
export type { NetworkServices } from './services.js';
export { bootstrapNetworks, type NetworkBootstrap } from './bootstrap.js';
export { networkActors, type NetworkActors } from './actors.js';
export { networkOps } from './network-ops.js';
export { routerOps } from './router-ops.js';
