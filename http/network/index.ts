export { networkApp } from './app.js';
export type { NetworkServices } from './services.js';
