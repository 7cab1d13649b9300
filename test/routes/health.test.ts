import t from 'tap'
import { build } from '../helper.js'

t.test('GET /health answers ok while the database answers', async t => {
  const app = await build(t)
  const response = await app.inject('/health')
  t.equal(response.statusCode, 200)
  t.strictSame(response.json(), { status: 'ok', mail: { pending: 0, oldestPendingSeconds: null } })
})

t.test('GET /health, and any request that needs the database, answer 503 in the common shape when it is gone', async t => {
  const app = await build(t)
  await app.store.close()
  for (const request of [{ url: '/health' }, { method: 'POST' as const, url: '/auth/refresh', payload: { refreshToken: 'a'.repeat(43) } }]) {
    const response = await app.inject(request)
    t.equal(response.statusCode, 503, request.url)
    t.strictSame(response.json(), {
      statusCode: 503,
      code: 'SERVICE_UNAVAILABLE',
      error: 'Service Unavailable',
      message: 'The database is not reachable'
    }, request.url)
  }
})

t.test('a PostgreSQL that cannot be reached stops the start with a message naming DATABASE_URL', async t => {
  // Port 1 on loopback: nothing listens there.
  await t.rejects(build(t, { DATABASE_URL: 'postgres://auth@127.0.0.1:1/auth' }), /DATABASE_URL: could not connect to PostgreSQL/)
})
