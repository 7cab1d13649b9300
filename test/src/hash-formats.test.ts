import bcrypt from 'bcryptjs'
import t from 'tap'
import { hashProblem, verifyHash } from '../../src/passwords/hash-formats.js'
import { Passwords } from '../../src/passwords/passwords.js'
import { foreignHashes } from '../helpers/hashes.js'

const PASSWORD = 'correct horse battery staple'

t.test('each format is verified by its own algorithm: the password matches, another does not', async t => {
  for (const [format, hash] of Object.entries(foreignHashes(PASSWORD))) {
    t.equal(hashProblem(hash), undefined, format)
    t.equal(await verifyHash(PASSWORD, hash), true, format)
    t.equal(await verifyHash(PASSWORD + '!', hash), false, format)
  }
})

t.test('a hash of no known format, malformed, or with a cost out of bounds is refused with its reason', async t => {
  const key = 'A'.repeat(43) + '='
  const hex = (n: number) => 'a'.repeat(n)
  const cases: Array<[string, RegExp]> = [
    ['md5$abc$0123', /is not of a known format/],
    ['$3b$10$' + 'a'.repeat(53), /is not of a known format/],
    ['$2x$10$' + 'a'.repeat(53), /not a well-formed bcrypt hash/],
    ['$2b$31$' + 'a'.repeat(53), /bcrypt cost 31 is outside 4–15/],
    ['$2b$03$' + 'a'.repeat(53), /bcrypt cost 3 is outside 4–15/],
    [`pbkdf2_sha256$0$salt$${key}`, /iterations 0 is outside 1–2000000/],
    [`pbkdf2_sha256$2000001$salt$${key}`, /iterations 2000001 is outside/],
    ['pbkdf2_sha256$1000$salt$c2hvcnQ=', /not a well-formed Django pbkdf2_sha256 hash/],
    [`pbkdf2:sha256:999999999$salt$${hex(64)}`, /iterations 999999999 is outside/],
    [`pbkdf2:sha1:1000$salt$${hex(40)}`, /not a well-formed Werkzeug pbkdf2:sha256 hash/],
    [`scrypt:1000:8:1$salt$${hex(128)}`, /scrypt N 1000 is not a power of two/],
    [`scrypt:2097152:1:1$salt$${hex(128)}`, /scrypt N 2097152 is outside/],
    [`scrypt:1048576:8:1$salt$${hex(128)}`, /scrypt N·r·p 8388608 is over 2097152/],
    [`scrypt:16384:8:17$salt$${hex(128)}`, /scrypt p 17 is outside 1–16/],
    [`bcrypt_sha256$$2b$16$${'a'.repeat(53)}`, /bcrypt cost 16 is outside/]
  ]
  for (const [hash, reason] of cases) {
    t.match(hashProblem(hash), reason, hash)
    await t.rejects(verifyHash(PASSWORD, hash), reason, 'the worker refuses it too')
  }
})

t.test('only a $2b$ bcrypt hash at the configured cost is the service\'s own; any other needs a rehash', async t => {
  const passwords = new Passwords({ cost: 10, workers: 1, queueMax: 10 })
  t.teardown(() => passwords.close())
  const own = await passwords.hash(PASSWORD)
  t.equal(passwords.needsRehash(own), false)
  t.equal(passwords.needsRehash(bcrypt.hashSync(PASSWORD, 11)), true, 'bcrypt of another cost')
  for (const [format, hash] of Object.entries(foreignHashes(PASSWORD))) {
    t.equal(passwords.needsRehash(hash), true, format)
    t.equal(await passwords.verify(PASSWORD, hash), true, `${format} through the pool`)
    t.equal(await passwords.verify('wrong password', hash), false, `${format} through the pool`)
  }
  const composed = foreignHashes('résumé')['Werkzeug pbkdf2:sha256'] as string
  t.equal(await passwords.verify('re\u0301sume\u0301', composed), true,
    'the password is NFC-normalized first, as for the service\'s own hashes')
})
