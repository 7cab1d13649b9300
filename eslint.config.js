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
  }
]
