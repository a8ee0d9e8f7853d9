/**
 * Import directions `npm run lint` holds (dependency-cruiser). Each workspace is a
 * package: others reach it only through its name and its `exports`, never by a
 * relative path into its files. Inside a workspace the layers point one way:
 * the station UI app → features → shared; the services' routes and workers →
 * core → adapters (hardware, storage, other services).
 */
const WS = '(protocol|kit|station-server|station-ui|processor|gallery|kiosk|e2e)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-reaching-into-another-workspace',
      comment: 'Import another workspace by its package name (@stop-motion/…), not by a relative path into its files.',
      severity: 'error',
      from: { path: `^${WS}/` },
      to: { dependencyTypes: ['local'], dependencyTypesNot: ['aliased'], path: `^${WS}/`, pathNot: '^$1/' },
    },
    {
      name: 'protocol-is-contracts-only',
      comment: 'protocol/ holds schemas and pure helpers every part shares; it depends on no other workspace.',
      severity: 'error',
      from: { path: '^protocol/src/' },
      to: { path: `^${WS}/`, pathNot: '^protocol/' },
    },
    {
      name: 'kit-is-plumbing',
      comment: 'kit/ is what every Node service needs (env, logs, backoff, files, S3); it knows no other workspace but the contracts.',
      severity: 'error',
      from: { path: '^kit/src/' },
      to: { path: `^${WS}/`, pathNot: '^(kit|protocol)/' },
    },
    {
      name: 'ui-takes-only-pure-kit',
      comment: 'The browser UI may use the pure parts of kit/ (backoff), never its Node entry.',
      severity: 'error',
      from: { path: '^station-ui/src/' },
      to: { path: '^kit/src/', pathNot: '^kit/src/backoff\\.ts$' },
    },
    {
      name: 'harness-is-for-tests',
      comment: 'The e2e harness starts real services for tests; no service source may depend on it.',
      severity: 'error',
      from: { path: '^(station-server|station-ui|processor|gallery|kiosk|protocol)/src/' },
      to: { path: '^e2e/' },
    },
    {
      name: 'ui-shared-is-a-leaf',
      comment: 'station-ui: shared/ knows nothing of features or the app shell.',
      severity: 'error',
      from: { path: '^station-ui/src/shared/' },
      to: { path: '^station-ui/src/(features|app)/' },
    },
    {
      name: 'ui-features-below-app',
      comment: 'station-ui: features are composed by app/, never the other way round.',
      severity: 'error',
      from: { path: '^station-ui/src/features/' },
      to: { path: '^station-ui/src/app/' },
    },
    {
      name: 'station-adapters-below-core',
      comment: 'station-server: hardware and storage adapters do not know the station core or its routes.',
      severity: 'error',
      from: { path: '^station-server/src/(buttons|camera|delivery|store)/' },
      to: { path: '^station-server/src/(server/|station\\.ts$|main\\.ts$)' },
    },
    {
      name: 'station-core-below-routes',
      comment: 'station-server: the core (station.ts) does not know the HTTP/WebSocket routes.',
      severity: 'error',
      from: { path: '^station-server/src/(?!server/|main\\.ts$|index\\.ts$)' },
      to: { path: '^station-server/src/server/' },
    },
    {
      name: 'gallery-views-and-storage-below-routes',
      comment: 'gallery: pages, the catalog and S3 access do not know the HTTP server that uses them.',
      severity: 'error',
      from: { path: '^gallery/src/(pages/|catalog|store|s3|moderation|cursor|urls|i18n|pagecache|films|wall|secret|admin)' },
      to: { path: '^gallery/src/((server|main|index)\\.ts$|routes/|http/)' },
    },
    {
      name: 'no-composition-root-imports',
      comment: "A service's main.ts wires everything; nothing imports it.",
      severity: 'error',
      from: {},
      to: { path: '^(station-server|processor|gallery)/src/main\\.ts$' },
    },
    {
      name: 'no-unresolvable',
      comment: "An import that does not resolve is a typo or a reach past a package's exports.",
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '/src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|dist-types|node_modules|test-results|data|readme)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['source', 'import', 'types', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
    },
  },
};
