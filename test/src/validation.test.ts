import t from 'tap'
import { createSchemaController } from '../../src/http/validation.js'
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

t.test('two routes with the same schema, compiled once, each validate their own requests', async t => {
  const schema = () => ({ body: { type: 'object', properties: { n: { type: 'integer', maximum: 5 } }, required: ['n'], additionalProperties: false } })
  const app = await build(t, {}, {
    setup: app => {
      app.post('/first', { schema: schema() }, async request => ({ route: 'first', body: request.body }))
      app.post('/second', { schema: schema() }, async request => ({ route: 'second', body: request.body }))
    }
  })
  for (const url of ['/first', '/second']) {
    t.equal((await app.inject({ method: 'POST', url, payload: { n: 3 } })).statusCode, 200, url)
    const refused = await app.inject({ method: 'POST', url, payload: { n: 9 } })
    t.equal(refused.statusCode, 400, url)
    t.match(refused.json(), { code: 'VALIDATION_ERROR', details: [{ path: '/n' }] }, url)
  }
})

t.test('a schema value with no JSON form stops the start, rather than make two schemas look alike', async t => {
  const rejected = build(t, {}, {
    setup: app => { app.post('/pattern', { schema: { body: { type: 'object', properties: { name: { type: 'string', pattern: /^a/ as unknown as string } } } } }, async () => ({})) }
  })
  await t.rejects(rejected, /"pattern" has no JSON form/)
})
