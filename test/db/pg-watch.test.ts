/**
 * What the PostgreSQL store tells the session cache: every users or sessions row changed by any
 * instance, once its transaction commits (triggers and LISTEN/NOTIFY), so tokens are checked from
 * memory and revocation stays immediate on every instance. Runs when CI provides a PostgreSQL.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { eq } from 'drizzle-orm'
import pg from 'pg'
import t from 'tap'
import { openStore, type RowChange, type Store } from '../../src/db/index.js'
import { bearer, build, meStatus, post, register } from '../helper.js'
import { POSTGRES_SKIP, postgresDatabase } from '../helpers/database.js'
import type { Teardown } from '../helpers/types.js'

const skip = POSTGRES_SKIP ? 'TEST_DATABASE_URL is not set: the PostgreSQL row watch needs a PostgreSQL server' : false

async function open (t: Teardown, url: string): Promise<Store & { told: RowChange[] }> {
  const store = await openStore(url)
  t.teardown(() => store.close())
  const told: RowChange[] = []
  store.watch.listen(change => told.push(change))
  return Object.assign(store, { told })
}

/** Ends the listening connections of every instance on the database, as a failover or a network cut would. */
async function killListeners (url: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    const { rows } = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'auth row watch'"
    )
    return rows.length
  } finally {
    await admin.end()
  }
}

async function until (what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return
    await sleep(25)
  }
  throw new Error(`never: ${what}`)
}

t.test('a change is told to every instance once committed, and a rolled-back one never', { skip }, async t => {
  const { DATABASE_URL: url } = await postgresDatabase(t) as { DATABASE_URL: string }
  const [writer, reader] = [await open(t, url), await open(t, url)]
  const now = new Date()
  await writer.write(db => db.insert(writer.tables.users).values({ id: 'u1', email: 'u1@example.com', emailKey: 'u1@example.com', passwordHash: 'x', createdAt: now, updatedAt: now }))
  await reader.watch.sync?.()
  const before = reader.told.length
  const { users } = writer.tables
  await writer.transaction(async tx => {
    await tx.update(users).set({ name: 'Ada' }).where(eq(users.id, 'u1'))
    throw new Error('rolled back')
  }).catch(() => {})
  await reader.watch.sync?.()
  t.equal(reader.told.length, before, 'nothing for a rollback')
  await writer.write(db => db.update(users).set({ name: 'Ada' }).where(eq(users.id, 'u1')))
  // The sync is the guarantee: every change committed before it has been told when it resolves.
  await reader.watch.sync?.()
  t.match(reader.told.slice(before), [{ table: 'users', id: 'u1' }])
})

t.test('two instances: a logout through one is refused by the other at once, which answers from memory', { skip }, async t => {
  const database = await postgresDatabase(t)
  const [a, b] = [await build(t, database), await build(t, database)]
  for (let round = 0; round < 20; round++) {
    const { accessToken } = await register(a)
    t.equal(await meStatus(b, accessToken), 200)
    const hits = b.sessions.cacheStats.hits
    t.equal(await meStatus(b, accessToken), 200)
    t.equal(b.sessions.cacheStats.hits, hits + 1, `round ${round}: the second check is answered from memory`)
    t.equal((await post(a, '/auth/logout', {}, bearer(accessToken))).statusCode, 200)
    t.equal(await meStatus(b, accessToken), 401, `round ${round}: the next check on the other instance is refused`)
  }
})

t.test('with its listening connection killed, an instance keeps nothing until it listens again', { skip }, async t => {
  const database = await postgresDatabase(t)
  const [a, b] = [await build(t, database), await build(t, database)]
  const first = await register(a)
  await meStatus(b, first.accessToken)

  t.equal(await killListeners(database.DATABASE_URL as string), 2)
  await until('the watch notices', () => !b.store.watch.settled())
  const misses = b.sessions.cacheStats.misses
  t.equal(await meStatus(b, first.accessToken), 200)
  t.equal(await meStatus(b, first.accessToken), 200)
  t.equal(b.sessions.cacheStats.misses, misses + 2, 'while it is down, every check reads the database')
  t.equal((await post(a, '/auth/logout', {}, bearer(first.accessToken))).statusCode, 200)
  t.equal(await meStatus(b, first.accessToken), 401, 'revocation is immediate meanwhile')

  await until('it listens again', () => b.store.watch.settled() && a.store.watch.settled())
  const second = await register(a)
  await meStatus(b, second.accessToken)
  const hits = b.sessions.cacheStats.hits
  t.equal(await meStatus(b, second.accessToken), 200)
  t.equal(b.sessions.cacheStats.hits, hits + 1, 'listening again, it keeps sessions again')
  t.equal((await post(a, '/auth/logout', {}, bearer(second.accessToken))).statusCode, 200)
  t.equal(await meStatus(b, second.accessToken), 401, 'and hears of their end')
})

t.test('a demotion or a disable through one instance takes effect on the other at once', { skip }, async t => {
  const database = await postgresDatabase(t)
  const [a, b] = [await build(t, database), await build(t, database)]
  const admin = await a.accounts.createUser({ email: 'root@example.com', password: 'correct horse battery staple', role: 'admin' })
  const adminSession = (await post(a, '/auth/login', { email: admin.email, password: 'correct horse battery staple' })).json()
  const user = await register(a)
  t.equal(await meStatus(b, user.accessToken), 200)
  t.equal(await meStatus(b, user.accessToken), 200)
  const disabled = await a.inject({ method: 'POST', url: `/auth/admin/users/${user.user.id}/disable`, headers: bearer(adminSession.accessToken) })
  t.equal(disabled.statusCode, 200)
  t.equal(await meStatus(b, user.accessToken), 401)
})
