import t from 'tap'
import { build } from '../helper.js'

t.test('GET /health answers ok while the database answers', async t => {
  const app = await build(t)
  const response = await app.inject('/health')
  t.equal(response.statusCode, 200)
  t.strictSame(response.json(), { status: 'ok' })
})

t.test('GET /health answers 503 in the common shape when the database is gone', async t => {
  const app = await build(t)
  await app.store.close()
  const response = await app.inject('/health')
  t.equal(response.statusCode, 503)
  t.strictSame(response.json(), {
    statusCode: 503,
    code: 'SERVICE_UNAVAILABLE',
    error: 'Service Unavailable',
    message: 'The database is not reachable'
  })
})
