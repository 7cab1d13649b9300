import type { LightMyRequestResponse } from 'fastify'
import { createHash } from 'node:crypto'
import t from 'tap'
import { build, PASSWORD, post, register } from '../helper.js'
import { redisEnv, TEST_REDIS_URL } from '../helpers/redis.js'

t.test('a REDIS_URL that cannot be reached stops the start with a message naming it', async t => {
  // Port 1 on loopback: nothing listens there.
  await t.rejects(build(t, { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_ENABLED: 'true' }), /REDIS_URL: could not connect to Redis/)
})

t.test('when Redis stops answering, limited requests get a 503 in the common shape, never a 500 or a pass', {
  skip: TEST_REDIS_URL === undefined ? 'TEST_REDIS_URL is not set: this suite needs a Redis server (CI sets it to 127.0.0.1:6379)' : false
}, async t => {
  const app = await build(t, { ...redisEnv(t), RATE_LIMIT_ENABLED: 'true' })
  const { user } = await register(app)
  t.equal((await app.inject('/health')).statusCode, 200)

  app.redis?.disconnect()
  const checks: Array<[string, () => Promise<LightMyRequestResponse>]> = [
    ['a rate-limited route', () => app.inject('/auth/me')],
    ['login', () => post(app, '/auth/login', { email: user.email, password: PASSWORD })],
    ['signup', () => post(app, '/auth/register', { email: 'later@example.com', password: PASSWORD })],
    ['the readiness probe', () => app.inject('/health')]
  ]
  for (const [name, request] of checks) {
    const response = await request()
    t.equal(response.statusCode, 503, name)
    t.match(response.json(), { statusCode: 503, code: 'SERVICE_UNAVAILABLE', error: 'Service Unavailable', message: /not reachable/ }, name)
  }
})

t.test('Redis holds no email address, nor a plain digest of one', {
  skip: TEST_REDIS_URL === undefined ? 'TEST_REDIS_URL is not set: this suite needs a Redis server (CI sets it to 127.0.0.1:6379)' : false
}, async t => {
  const env = redisEnv(t)
  const app = await build(t, env)
  const { user } = await register(app)
  t.equal((await post(app, '/auth/login', { email: user.email, password: 'not the password at all' })).statusCode, 401)
  const keys = await app.redis?.keys(`${env.REDIS_PREFIX}*`) ?? []
  t.equal(keys.length, 1, 'one throttle entry')
  const digest = createHash('sha256').update(`email:${user.email}`).digest('base64url')
  t.notOk(keys.some(key => key.includes('@') || key.includes(digest)), keys.join())
})
