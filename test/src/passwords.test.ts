import bcrypt from 'bcryptjs'
import t from 'tap'
import { Passwords } from '../../src/passwords.js'

t.test('hashes at the configured cost and verifies only the right password', async t => {
  const passwords = new Passwords(10)
  const hash = await passwords.hash('correct horse battery staple')
  t.match(hash, /^\$2[aby]\$10\$/)
  t.equal(await passwords.verify('correct horse battery staple', hash), true)
  t.equal(await passwords.verify('correct horse battery stapler', hash), false)
  t.equal(await bcrypt.compare('correct horse battery staple', hash), true, 'a standard bcrypt hash')
})

t.test('without an account the comparison runs against a dummy and never matches', async t => {
  const passwords = new Passwords(10)
  t.equal(await passwords.verify('', undefined), false)
  t.equal(await passwords.verify('correct horse battery staple', undefined), false)
})
