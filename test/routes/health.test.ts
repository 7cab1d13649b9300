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

t.test('a request that needs the database while it is gone gets a 503 in the common shape', async t => {
  const app = await build(t)
  await app.store.close()
  const response = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: 'a'.repeat(43) } })
  t.equal(response.statusCode, 503)
  t.strictSame(response.json(), {
    statusCode: 503,
    code: 'SERVICE_UNAVAILABLE',
    error: 'Service Unavailable',
    message: 'The database is not reachable'
  })
})

t.test('a PostgreSQL that cannot be reached stops the start with a message naming DATABASE_URL', async t => {
  // Port 1 on loopback: nothing listens there.
  await t.rejects(build(t, { DATABASE_URL: 'postgres://auth@127.0.0.1:1/auth' }), /DATABASE_URL: could not connect to PostgreSQL/)
})
