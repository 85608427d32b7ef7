/**
 * The layering of src/, as DESIGN.md draws it, checked by dependency-cruiser in `npm test`
 * (`npm run lint:deps`). Layers, lowest first:
 *
 *   onetalk → profile → config → session, redis → http, ops → auth, livechat → openapi → app.ts → server.ts
 *
 * A module imports only from its own layer or lower ones. emulator/, demo/ and sync/ are wings
 * beside the house: they may use the layers; nothing in the layers uses them. No cycles at all.
 */
const LAYERS = [
  ['onetalk'],
  ['profile'],
  ['config'],
  ['session', 'redis'],
  ['http', 'ops'],
  ['auth', 'livechat'],
  ['openapi'],
  ['app'],
  ['server'],
];
const WINGS = ['emulator', 'demo', 'sync'];

const pathOf = (folder) => (folder === 'app' || folder === 'server' ? `^src/${folder}\\.ts$` : `^src/${folder}/`);
const anyOf = (folders) => folders.map(pathOf).join('|');

const upward = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  if (above.length === 0) return [];
  return [
    {
      name: `no-upward-from-${layer.join('-')}`,
      comment: `${layer.join(' and ')} may import only from its own layer or lower ones`,
      severity: 'error',
      from: { path: anyOf(layer) },
      to: { path: anyOf([...above, ...WINGS]) },
    },
  ];
});

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-layer-uses-a-wing',
      comment: 'emulator/, demo/ and sync/ may use the layers; nothing in the layers uses them',
      severity: 'error',
      from: { path: anyOf(LAYERS.flat()) },
      to: { path: anyOf(WINGS) },
    },
    {
      name: 'no-wing-uses-another-wing-except-demo',
      comment: 'the demo embeds the emulator; otherwise wings stand alone',
      severity: 'error',
      from: { path: anyOf(['emulator', 'sync']) },
      to: { path: anyOf(WINGS), pathNot: '^src/(emulator|sync)/' },
    },
    {
      name: 'emulator-reads-the-document-itself',
      comment:
        "the emulator plays OneTalk's side of the contract: its limits, paths and lifetimes come from the document (src/emulator/document.ts), never from the client it tests, so a wrong value on our side fails instead of passing on both; the wire types may be shared",
      severity: 'error',
      from: { path: '^src/emulator/' },
      to: { path: '^src/onetalk/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles, between folders or within one',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
