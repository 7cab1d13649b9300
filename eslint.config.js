import neostandard from 'neostandard'
import noImportCycles from './eslint/no-import-cycles.js'

export default [
  ...neostandard({
    ts: true,
    // client/schema.d.ts is generated (`npm run client:generate`) and checked against the document instead.
    ignores: ['dist', 'coverage', '.tap', 'data', 'node_modules', 'client/schema.d.ts']
  }),
  {
    // A TypeBox schema and its Static type share one name (`User` the value, `User` the type);
    // TypeScript itself rejects any real redeclaration.
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  },
  {
    // Dependencies point one way (docs/architecture.md): no import cycle, type imports included.
    plugins: { project: { rules: { 'no-import-cycles': noImportCycles } } },
    rules: { 'project/no-import-cycles': 'error' }
  }
]
