import bcrypt from 'bcryptjs'
import t, { type Test } from 'tap'
import { Passwords } from '../../src/passwords/passwords.js'

function pool (t: Test, options: { workers?: number, queueMax?: number } = {}): Passwords {
  const passwords = new Passwords({ cost: 10, workers: options.workers ?? 1, queueMax: options.queueMax ?? 100 })
  t.teardown(() => passwords.close())
  return passwords
}

t.test('hashes in the pool at the configured cost, as in-thread bcryptjs does', async t => {
  const passwords = pool(t)
  const hash = await passwords.hash('correct horse battery staple')
  t.match(hash, /^\$2b\$10\$[./A-Za-z0-9]{53}$/)
  t.equal(await passwords.verify('correct horse battery staple', hash), true)
  t.equal(await passwords.verify('correct horse battery stapler', hash), false)
  t.equal(await bcrypt.compare('correct horse battery staple', hash), true, 'in-thread bcryptjs accepts the pool\'s hash')
  t.equal(await bcrypt.compare('correct horse battery stapler', hash), false)

  const inThread = await bcrypt.hash('résumé', 10)
  t.equal(await passwords.verify('résumé', inThread), true, 'the pool accepts in-thread bcryptjs\'s hash')
  t.equal(await passwords.verify('re\u0301sume\u0301', inThread), true, 'decomposed accents are the same password')
  t.equal(await passwords.verify('resume', inThread), false)
})

t.test('without an account the comparison runs against a dummy and never matches', async t => {
  const passwords = pool(t)
  t.equal(await passwords.verify('', undefined), false)
  t.equal(await passwords.verify('correct horse battery staple', undefined), false)
})

t.test('an error in a worker reaches the caller', async t => {
  const passwords = pool(t)
  const malformed = `$3b$10$${'a'.repeat(53)}`
  await t.rejects(passwords.verify('x', malformed), /is not of a known format/)
  t.equal(await passwords.verify('x', await bcrypt.hash('x', 10)), true, 'the pool keeps working after the error')
})

t.test('admit sheds work once queueMax jobs wait for a thread', async t => {
  const passwords = pool(t, { workers: 1, queueMax: 2 })
  const hash = await passwords.hash('warm up the thread')
  passwords.admit()
  const running = [passwords.verify('a', hash), passwords.verify('b', hash), passwords.verify('c', hash)]
  // One job runs, two wait: the next request is turned away at once, with a wait to come back after.
  t.throws(() => passwords.admit(), { code: 'OVERLOADED', statusCode: 503, retryAfter: 1 })
  t.same(await Promise.all(running), [false, false, false])
  t.doesNotThrow(() => passwords.admit(), 'admitted again once the queue has drained')
})

t.test('close lets queued jobs finish, then ends the threads', async t => {
  const passwords = new Passwords({ cost: 10, workers: 2, queueMax: 100 })
  t.equal(passwords.threads, 2)
  const pending = passwords.hash('finished before the threads end')
  await passwords.close()
  t.match(await pending, /^\$2b\$10\$/)
  t.equal(passwords.threads, 0)
  await t.rejects(passwords.hash('after close'), /closed/)
  t.equal(passwords.threads, 0, 'a late job does not start them again')
})
