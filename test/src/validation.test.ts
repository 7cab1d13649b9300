import t from 'tap'
import { createSchemaController } from '../../src/validation.js'
import { build } from '../helper.js'

t.test('every route schema is valid JSON Schema (the check the server skips at start-up)', async t => {
  const app = await build(t, {}, { overrides: { schemaController: createSchemaController(true) } })
  t.ok(app.hasRoute({ method: 'POST', url: '/auth/register' }), 'the routes were compiled with the meta-schema check on')
})

t.test('the meta-schema check catches a malformed schema', async t => {
  const rejected = build(t, {}, {
    overrides: { schemaController: createSchemaController(true) },
    setup: app => { app.post('/malformed', { schema: { body: { type: 'object', properties: { name: { type: 'string', minLength: 'five' } } } } }, async () => ({})) }
  })
  await t.rejects(rejected, /schema is invalid|must be integer/)
})
