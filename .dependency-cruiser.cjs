/**
 * The layers of shared/ and who may import whom (docs/architecture.md, "Layers"). `npm run lint` runs
 * this; test/layout/rules.test.ts shows that a forbidden import fails it.
 *
 *   domain/   pure rules and math: nothing else of shared/, no node: built-ins
 *   fast/     byte-level speed code behind the domain's interfaces: domain/ only
 *   ports/    the interfaces of the outside world: domain/ only
 *   adapters/ the outside world: ports/, domain/, fast/ (the worker channel, the row buffers)
 *   app/      the use cases: domain/, fast/, ports/, report/; only app/container.ts builds adapters
 *   http/     the HTTP API: app/, domain/, ports/
 *   report/, simulate/: domain/ only
 */
const layer = (name) => `^shared/${name}/`;
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ imports nothing else of shared/',
      severity: 'error',
      from: { path: layer('domain') },
      to: { path: '^shared/', pathNot: layer('domain') },
    },
    {
      name: 'domain-has-no-io',
      comment: 'domain/ uses no node: built-in (no files, threads, clocks of the platform, crypto)',
      severity: 'error',
      from: { path: layer('domain') },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'fast-uses-domain-only',
      severity: 'error',
      from: { path: layer('fast') },
      to: { path: '^shared/', pathNot: [layer('fast'), layer('domain')] },
    },
    {
      name: 'ports-use-domain-only',
      severity: 'error',
      from: { path: layer('ports') },
      to: { path: '^shared/', pathNot: [layer('ports'), layer('domain')] },
    },
    {
      name: 'adapters-are-leaves',
      comment: 'adapters/ import ports/, domain/ and fast/, never a use case or the HTTP layer',
      severity: 'error',
      from: { path: layer('adapters') },
      to: { path: '^shared/', pathNot: [layer('adapters'), layer('ports'), layer('domain'), layer('fast')] },
    },
    {
      name: 'app-uses-inner-layers',
      severity: 'error',
      // The composition root and its interface (useCases.ts, types only: the simulator's options) reach the simulator.
      from: { path: layer('app'), pathNot: '^shared/app/(container|useCases)\\.ts$' },
      to: { path: '^shared/', pathNot: [layer('app'), layer('domain'), layer('fast'), layer('ports'), layer('report')] },
    },
    {
      name: 'only-the-container-builds-adapters',
      severity: 'error',
      from: { pathNot: ['^shared/app/container\\.ts$', '^shared/adapters/', '^test/', '^bench/', '^tools/'] },
      to: { path: layer('adapters') },
    },
    {
      name: 'http-uses-app',
      severity: 'error',
      from: { path: layer('http') },
      to: { path: '^shared/', pathNot: [layer('http'), layer('app'), layer('domain'), layer('ports')] },
    },
    {
      name: 'report-and-simulate-use-domain-only',
      severity: 'error',
      from: { path: ['^shared/report/', '^shared/simulate/'] },
      to: { path: '^shared/', pathNot: [layer('domain'), '^shared/report/', '^shared/simulate/'] },
    },
    {
      name: 'doors-are-thin',
      comment: 'functions/ and cli/ get their use cases from the container, never from an adapter',
      severity: 'error',
      from: { path: ['^functions/', '^cli/'] },
      to: { path: layer('adapters') },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(shared|functions|cli)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|\\.package)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
