// `npm run bench` runs every benchmark; `npm run bench -- runtime` only the named ones.
const benchmarks: Record<string, () => Promise<void>> = {
  runtime: async () => (await import('./runtime/index.js')).run(),
  identity: async () => (await import('./identity.js')).run(),
  images: async () => (await import('./images.js')).run(),
  compute: async () => (await import('./compute.js')).run(),
  actions: async () => (await import('./actions.js')).run(),
  hostile: async () => (await import('./hostile.js')).run(),
  cluster: async () => (await import('./cluster.js')).run(),
  host: async () => (await import('./host.js')).run(),
  lifecycle: async () => (await import('./lifecycle.js')).run(),
  guests: async () => (await import('./guests.js')).run(),
  networks: async () => (await import('./networks.js')).run(),
  dataplane: async () => (await import('./dataplane.js')).run(),
  inspector: async () => (await import('./inspector.js')).run(),
  consoles: async () => (await import('./consoles/index.js')).run(),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in benchmarks));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : Object.keys(benchmarks)) {
  console.log(`## ${name}`);
  await benchmarks[name]();
}
process.exit(0);
