import t from 'tap'
import type { RowChange, RowWatch } from '../../src/db/index.js'
import type { Account } from '../../src/db/schema.js'
import { LiveSessions } from '../../src/sessions/live-sessions.js'

/** A watch whose changes the test makes, and whose connection has no transaction open unless told. */
function fakeWatch () {
  let listener: (change: RowChange) => void = () => {}
  const watch = {
    open: false,
    generation: 0,
    listen: (fn: (change: RowChange) => void) => { listener = fn },
    catchUp: () => {},
    settled: () => !watch.open,
    change: (change: RowChange) => {
      watch.generation++
      listener(change)
    }
  }
  return watch satisfies RowWatch
}

function account (id: string, metadata: Record<string, unknown> = {}): Account {
  const at = new Date(0)
  const unset = { username: null, name: null, disabledAt: null, emailVerifiedAt: null, mfaEnabledAt: null }
  return { id, email: `${id}@example.com`, ...unset, role: 'user', metadata, createdAt: at, updatedAt: at }
}

const LATER = Date.now() + 60_000

t.test('sessions are kept up to the capacity, the oldest going first', async t => {
  const kept = new LiveSessions(fakeWatch(), 3, Infinity)
  for (const n of [1, 2, 3, 4, 5]) kept.keep(`s${n}`, LATER, account(`u${n}`), 0)
  t.equal(kept.size.sessions, 3)
  t.equal(kept.get('s1', 'u1', Date.now()), undefined)
  t.equal(kept.get('s2', 'u2', Date.now()), undefined)
  t.equal(kept.get('s5', 'u5', Date.now())?.id, 'u5')
})

t.test('large accounts are kept within the byte budget, and one account serves all of its user\'s sessions', async t => {
  const big = { notes: 'x'.repeat(10_000) }
  const kept = new LiveSessions(fakeWatch(), 1000, 50_000)
  for (const n of [1, 2, 3, 4, 5]) kept.keep(`s${n}`, LATER, account(`u${n}`, big), 0)
  t.ok(kept.size.bytes <= 50_000, `${kept.size.bytes} bytes kept`)
  t.equal(kept.size.sessions, 2, 'two accounts of 20 kB each fit in 50 kB')

  const small = new LiveSessions(fakeWatch(), 1000, 50_000)
  for (const n of [1, 2, 3, 4, 5]) small.keep(`s${n}`, LATER, account('u1', big), 0)
  t.equal(small.size.sessions, 5, 'five sessions of one user hold its account once')
})

t.test('a change to a session or its user, or another process\'s commit, drops what it touches', async t => {
  const watch = fakeWatch()
  const kept = new LiveSessions(watch, 100, Infinity)
  const keepAll = () => {
    kept.keep('a1', LATER, account('a'), watch.generation)
    kept.keep('a2', LATER, account('a'), watch.generation)
    kept.keep('b1', LATER, account('b'), watch.generation)
  }
  keepAll()
  watch.change({ table: 'sessions', id: 'a1' })
  t.strictSame([kept.get('a1', 'a', Date.now()), kept.get('a2', 'a', Date.now())?.id, kept.get('b1', 'b', Date.now())?.id], [undefined, 'a', 'b'])
  watch.change({ table: 'users', id: 'a' })
  t.strictSame([kept.get('a2', 'a', Date.now()), kept.get('b1', 'b', Date.now())?.id], [undefined, 'b'])
  watch.change({ table: '*' })
  t.strictSame(kept.size, { sessions: 0, bytes: 0 })
  keepAll()
  watch.change({ table: 'users', id: 'a' })
  watch.change({ table: 'sessions', id: 'b1' })
  t.strictSame(kept.size, { sessions: 0, bytes: 0 }, 'the byte count goes back to nothing')
})

t.test('a session is not kept while a transaction is open, nor served past its expiry, nor to another user', async t => {
  const watch = fakeWatch()
  const kept = new LiveSessions(watch, 100, Infinity)
  watch.open = true
  kept.keep('s', LATER, account('u'), watch.generation)
  t.equal(kept.get('s', 'u', Date.now()), undefined, 'read inside a transaction')
  watch.open = false
  kept.keep('s', LATER, account('u'), watch.generation)
  t.equal(kept.get('s', 'someone else', Date.now()), undefined)
  t.equal(kept.get('s', 'u', LATER), undefined, 'expired')
  t.equal(kept.size.sessions, 0)
})

t.test('a row read before a change that has been told since is not kept: it may be older than the change', async t => {
  const watch = fakeWatch()
  const kept = new LiveSessions(watch, 10, Infinity)
  const readAt = watch.generation
  watch.change({ table: 'sessions', id: 'other' })
  kept.keep('s', LATER, account('u'), readAt)
  t.equal(kept.get('s', 'u', Date.now()), undefined)
  kept.keep('s', LATER, account('u'), watch.generation)
  t.equal(kept.get('s', 'u', Date.now())?.id, 'u', 'read after it, it is kept')
})
