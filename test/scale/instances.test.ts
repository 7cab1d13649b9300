/**
 * Two server processes behind one address, sharing one database and one Redis: what one instance
 * counts, ends or spends, the other knows. On PostgreSQL, as instances on several machines run,
 * and on one SQLite file, as they run on one machine. Runs when CI provides a Redis
 * (TEST_REDIS_URL), and a PostgreSQL (TEST_DATABASE_URL) for the first.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { count, eq } from 'drizzle-orm'
import pg from 'pg'
import t from 'tap'
import { OTHER_COMMITS_CHECK_MS, openStore } from '../../src/db/index.js'
import { PASSWORD } from '../helper.js'
import { fileDatabase, POSTGRES_SKIP, postgresDatabase } from '../helpers/database.js'
import { listening, startServer } from '../helpers/processes.js'
import { redisEnv, TEST_REDIS_URL } from '../helpers/redis.js'
import type { Teardown } from '../helpers/types.js'

const redisSkip = TEST_REDIS_URL === undefined ? 'TEST_REDIS_URL is not set: the multi-instance suite needs a Redis server (CI sets it to 127.0.0.1:6379)' : false

interface Reply { status: number, body: Record<string, unknown> & { code?: string } }

const ENGINES = [
  { name: 'PostgreSQL', skip: redisSkip || POSTGRES_SKIP, database: postgresDatabase },
  { name: 'one SQLite file', skip: redisSkip, database: async (t: Teardown) => fileDatabase(t) }
]

for (const engine of ENGINES) {
  t.test(`two instances on ${engine.name} and one Redis`, { skip: engine.skip }, async t => {
    const database = await engine.database(t)
    const env = {
      PORT: '0',
      ...database,
      ...redisEnv(t),
      // The instances agree on the signing secret through the database they share.
      JWT_SECRET: '',
      BCRYPT_COST: '10',
      HASH_WORKERS: '1',
      HASH_QUEUE_MAX: '1000',
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_SIGNUP: '3/1m',
      RATE_LIMIT_LOGIN: '100/1m',
      SIGNUP_CAPACITY: '1000/1m',
      REFRESH_REUSE_GRACE: '0',
      // Each request names its client, as a load balancer in front of both would.
      TRUST_PROXY: '127.0.0.1'
    }
    const children = [startServer(env, 'source'), startServer(env, 'source')]
    t.teardown(() => { for (const child of children) child.kill('SIGKILL') })
    const [a, b] = await Promise.all(children.map(listening)) as [string, string]
    t.not(a, b, 'two instances on two ports')

    let clients = 0
    /** A request from a client address of its own, unless one is given. */
    async function call (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, client = `198.51.100.${++clients % 250}`): Promise<Reply> {
      const response = await fetch(base + path, {
        method,
        headers: { 'x-forwarded-for': client, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body)
      })
      return { status: response.status, body: await response.json() as Reply['body'] }
    }
    const bearer = (token: unknown) => ({ authorization: `Bearer ${token as string}` })

    t.test('a signup limit reached through one instance is enforced by the other', async t => {
      const client = '203.0.113.9'
      const statuses = [
        (await call(a, 'POST', '/auth/register', { email: 'limit1@example.com', password: PASSWORD }, {}, client)).status,
        (await call(b, 'POST', '/auth/register', { email: 'limit2@example.com', password: PASSWORD }, {}, client)).status,
        (await call(a, 'POST', '/auth/register', { email: 'limit3@example.com', password: PASSWORD }, {}, client)).status
      ]
      t.strictSame(statuses, [201, 201, 201], 'three signups allowed per client and minute, counted across both')
      const fourth = await call(b, 'POST', '/auth/register', { email: 'limit4@example.com', password: PASSWORD }, {}, client)
      t.equal(fourth.status, 429)
      t.equal(fourth.body.code, 'RATE_LIMITED')
      const other = await call(b, 'POST', '/auth/login', { email: 'limit1@example.com', password: PASSWORD }, {}, client)
      t.equal(other.status, 200, 'the login limit is a count of its own, even in the shared store')
    })

    t.test('failed logins on one instance count on the other', async t => {
      const email = 'guessed@example.com'
      t.equal((await call(a, 'POST', '/auth/register', { email, password: PASSWORD })).status, 201)
      for (let i = 0; i < 5; i++) {
        t.equal((await call(i % 2 === 0 ? a : b, 'POST', '/auth/login', { email, password: 'not the password at all' })).status, 401)
      }
      const sixth = await call(b, 'POST', '/auth/login', { email, password: PASSWORD })
      t.equal(sixth.status, 429)
      t.equal(sixth.body.code, 'TOO_MANY_ATTEMPTS')
    })

    t.test('logout through one instance is refused by the other within a millisecond', async t => {
      const session = await call(a, 'POST', '/auth/register', { email: 'leaving@example.com', password: PASSWORD })
      t.equal((await call(b, 'GET', '/auth/me', undefined, bearer(session.body.accessToken))).status, 200, 'the other instance accepts the token')
      t.equal((await call(a, 'POST', '/auth/logout', {}, bearer(session.body.accessToken))).status, 200)
      // On one SQLite file, an instance looks for the other's commits once a millisecond (on PostgreSQL, it hears
      // of them before each check it answers from memory).
      await sleep(OTHER_COMMITS_CHECK_MS + 1)
      const after = await call(b, 'GET', '/auth/me', undefined, bearer(session.body.accessToken))
      t.equal(after.status, 401, 'the next request to the other instance is refused')
      t.equal(after.body.code, 'INVALID_TOKEN')
      t.equal((await call(b, 'POST', '/auth/refresh', { refreshToken: session.body.refreshToken })).status, 401, 'and so is its refresh token')
    })

    t.test('with the instances\' listening connections killed, a logout through one is still refused by the other', { skip: engine.name === 'PostgreSQL' ? false : 'PostgreSQL only: SQLite has no listening connection' }, async t => {
      const session = await call(a, 'POST', '/auth/register', { email: 'cut@example.com', password: PASSWORD })
      t.equal((await call(b, 'GET', '/auth/me', undefined, bearer(session.body.accessToken))).status, 200)
      t.equal((await call(b, 'GET', '/auth/me', undefined, bearer(session.body.accessToken))).status, 200, 'kept in memory')
      const admin = new pg.Client({ connectionString: database.DATABASE_URL })
      await admin.connect()
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'auth row watch'")
      await admin.end()
      t.equal(killed.rowCount, 2, 'both instances\' listening connections')
      t.equal((await call(a, 'POST', '/auth/logout', {}, bearer(session.body.accessToken))).status, 200)
      t.equal((await call(b, 'GET', '/auth/me', undefined, bearer(session.body.accessToken))).status, 401, 'refused at once')
      const next = await call(a, 'POST', '/auth/register', { email: 'after-cut@example.com', password: PASSWORD })
      t.equal((await call(b, 'GET', '/auth/me', undefined, bearer(next.body.accessToken))).status, 200)
      // However soon they listen again, the next logout is refused at once too.
      await sleep(300)
      t.equal((await call(b, 'GET', '/auth/me', undefined, bearer(next.body.accessToken))).status, 200)
      t.equal((await call(a, 'POST', '/auth/logout', {}, bearer(next.body.accessToken))).status, 200)
      t.equal((await call(b, 'GET', '/auth/me', undefined, bearer(next.body.accessToken))).status, 401)
    })

    t.test('a refresh token rotated on one instance and replayed on the other is detected as reuse', async t => {
      const session = await call(a, 'POST', '/auth/register', { email: 'rotated@example.com', password: PASSWORD })
      const rotated = await call(a, 'POST', '/auth/refresh', { refreshToken: session.body.refreshToken })
      t.equal(rotated.status, 200)
      const replay = await call(b, 'POST', '/auth/refresh', { refreshToken: session.body.refreshToken })
      t.equal(replay.status, 401)
      t.equal(replay.body.code, 'REFRESH_TOKEN_REUSED')
      t.equal((await call(a, 'POST', '/auth/refresh', { refreshToken: rotated.body.refreshToken })).body.code, 'INVALID_REFRESH_TOKEN', 'the whole session ended')
      t.equal((await call(a, 'GET', '/auth/me', undefined, bearer(rotated.body.accessToken))).status, 401)
    })

    t.test('twenty parallel registrations of one email, split across both, make exactly one account', async t => {
      const email = 'race@example.com'
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        call(i % 2 === 0 ? a : b, 'POST', '/auth/register', { email: i % 3 === 0 ? email.toUpperCase() : email, password: PASSWORD })))
      const statuses = replies.map(reply => reply.status).sort()
      t.strictSame(statuses, [201, ...Array(19).fill(409)])
      t.ok(replies.filter(reply => reply.status === 409).every(reply => reply.body.code === 'EMAIL_TAKEN'))
      const store = await openStore(database.DATABASE_URL as string)
      t.teardown(() => store.close())
      const { users } = store.tables
      t.strictSame(await store.db.select({ n: count() }).from(users).where(eq(users.emailKey, email)), [{ n: 1 }], 'one row in the database')
      t.equal((await call(b, 'POST', '/auth/login', { email, password: PASSWORD })).status, 200)
    })
  })
}
