export { networkApp } from './app.js';
export type { NetworkServices } from './services.js';
export { bootstrapNetworks, type NetworkBootstrap } from './bootstrap.js';
