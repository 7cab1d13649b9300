/**
 * What the SQLite store tells the session cache (`Store.watch`): every users or sessions row its
 * own connection changes, as the statement runs, and commits made by other connections on the
 * same file, looked for at most once a millisecond.
 */
import { sql } from 'drizzle-orm'
import t from 'tap'
import { OTHER_COMMITS_CHECK_MS, openStore, type RowChange, type Store } from '../../src/db/index.js'
import { fakeMonotonicClock } from '../helpers/clock.js'
import { fileDatabase } from '../helpers/database.js'
import type { Teardown } from '../helpers/types.js'

async function open (t: Teardown, url: string): Promise<Store & { told: RowChange[] }> {
  const store = await openStore(url)
  t.teardown(() => store.close())
  const told: RowChange[] = []
  store.watch?.listen(change => told.push(change))
  return Object.assign(store, { told })
}

async function addUser (store: Store, id: string): Promise<void> {
  const now = new Date()
  await store.write(db => db.insert(store.tables.users).values({ id, email: `${id}@example.com`, emailKey: `${id}@example.com`, passwordHash: 'x', createdAt: now, updatedAt: now }))
}

t.test('each users or sessions row the connection updates or deletes is told, whatever the statement', async t => {
  const store = await open(t, fileDatabase(t).DATABASE_URL as string)
  await addUser(store, 'u1')
  await addUser(store, 'u2')
  t.strictSame(store.told, [], 'an insert changes nothing kept')
  await store.write(db => db.run(sql`UPDATE users SET name = 'Ada' WHERE id = 'u1'`))
  await store.write(db => db.run(sql`DELETE FROM users WHERE id = 'u2'`))
  // A replaced row is deleted first: recursive triggers make that deletion fire.
  await store.write(db => db.run(sql`INSERT OR REPLACE INTO users (id, email, email_key, password_hash, created_at, updated_at) VALUES ('u1', 'u1@example.com', 'u1@example.com', 'y', 0, 0)`))
  t.strictSame(store.told, [{ table: 'users', id: 'u1' }, { table: 'users', id: 'u2' }, { table: 'users', id: 'u1' }])
})

t.test('a row is told as the statement runs, before its transaction commits; the connection is unsettled meanwhile', async t => {
  const store = await open(t, fileDatabase(t).DATABASE_URL as string)
  await addUser(store, 'u1')
  t.equal(store.watch?.settled(), true)
  await store.transaction(async tx => {
    await tx.run(sql`UPDATE users SET name = 'Ada' WHERE id = 'u1'`)
    t.strictSame(store.told, [{ table: 'users', id: 'u1' }], 'told inside the transaction')
    t.equal(store.watch?.settled(), false, 'a read now could see an uncommitted write')
  })
  t.equal(store.watch?.settled(), true)
})

t.test('another connection\'s commit is told within a millisecond, and looked for at most once a millisecond', async t => {
  const clock = fakeMonotonicClock(t)
  const DATABASE_URL = fileDatabase(t).DATABASE_URL as string
  const [store, other] = [await open(t, DATABASE_URL), await open(t, DATABASE_URL)]
  const watch = store.watch as NonNullable<Store['watch']>
  clock.advance(OTHER_COMMITS_CHECK_MS)
  watch.catchUp()
  t.strictSame(store.told, [], 'nothing was committed elsewhere')

  await addUser(other, 'u1')
  watch.catchUp()
  t.strictSame(store.told, [], 'within the millisecond of the last look, the file is not read again')
  clock.advance(OTHER_COMMITS_CHECK_MS)
  watch.catchUp()
  t.strictSame(store.told, [{ table: '*' }], 'a millisecond later, the commit is told')
  clock.advance(OTHER_COMMITS_CHECK_MS)
  watch.catchUp()
  other.watch?.catchUp()
  t.strictSame(store.told, [{ table: '*' }], 'once')
  t.strictSame(other.told, [], 'a connection is not told its own commits as another\'s')
})
