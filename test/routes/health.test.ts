import { sql } from 'drizzle-orm'
import t from 'tap'
import { build } from '../helper.js'
import { query } from '../helpers/database.js'
import { redisEnv, TEST_REDIS_URL } from '../helpers/redis.js'

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

t.test('GET /health/live answers ok without asking the database', async t => {
  const app = await build(t)
  await app.store.close()
  const response = await app.inject('/health/live')
  t.equal(response.statusCode, 200)
  t.strictSame(response.json(), { status: 'ok' })
})

t.test('GET /health/ready answers ok while the database answers with every migration applied', async t => {
  const app = await build(t)
  const response = await app.inject('/health/ready')
  t.equal(response.statusCode, 200)
  t.strictSame(response.json(), { status: 'ok' })
})

t.test('GET /health/ready answers 503 NOT_READY, saying why, when the database is gone', async t => {
  const app = await build(t)
  await app.store.close()
  const response = await app.inject('/health/ready')
  t.equal(response.statusCode, 503)
  t.strictSame(response.json(), {
    statusCode: 503, code: 'NOT_READY', error: 'Service Unavailable', message: 'Not ready: the database is not reachable'
  })
})

t.test('GET /health/ready answers 503 NOT_READY naming a migration the database has not recorded', async t => {
  const app = await build(t)
  const run = query(app)
  const table = app.store.dialect === 'postgres' ? sql.raw('drizzle.__drizzle_migrations') : sql.raw('__drizzle_migrations')
  await run`DELETE FROM ${table} WHERE created_at = (SELECT max(created_at) FROM ${table})`
  const response = await app.inject('/health/ready')
  t.equal(response.statusCode, 503)
  t.match(response.json(), { code: 'NOT_READY', message: /^Not ready: migrations not applied: \d{4}_[a-z_]+$/ })
  t.equal((await app.inject('/health')).statusCode, 200, '/health asks only that the database answers')
})

t.test('GET /health/ready asks Redis too when REDIS_URL is set', { skip: TEST_REDIS_URL === undefined && 'TEST_REDIS_URL is not set' }, async t => {
  const app = await build(t, redisEnv(t))
  t.equal((await app.inject('/health/ready')).statusCode, 200)
  app.redis?.disconnect()
  const response = await app.inject('/health/ready')
  t.equal(response.statusCode, 503)
  t.match(response.json(), { code: 'NOT_READY', message: 'Not ready: Redis is not reachable' })
})
