export { computeApp } from './app.js';
export { seedCompute } from './seed.js';
export { MAX_VERSION, MIN_VERSION } from './microversion.js';
export type { ActorGateway, ComputeServices, QuotaDefaults } from './services.js';
export { ResponseOracle, type Coverage, type ResponseSample, type Verdict } from './oracle/response-oracle.js';
