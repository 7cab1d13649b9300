import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist', 'coverage', '.tap', 'data', 'node_modules']
  }),
  {
    // A TypeBox schema and its Static type share one name (`User` the value, `User` the type);
    // TypeScript itself rejects any real redeclaration.
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  },
  {
    // Dependencies point one way: no import cycle, type imports included (see docs/architecture.md).
    files: ['src/**', 'plugins/**', 'routes/**', 'schemas/**', 'bench/**', 'test/**'],
    settings: { 'import-x/resolver': { typescript: { project: './tsconfig.json' } } },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }] }
  }
]
