export { computeApp } from './app.js';
export { seedCompute } from './seed.js';
export { MAX_VERSION, MIN_VERSION } from './microversion.js';
export type { ActorGateway, ComputeServices, ComputeState, QuotaDefaults } from './services.js';
