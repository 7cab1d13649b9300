import t from 'tap'
import { PasswordBlocklist } from '../../src/passwords/blocklist.js'
import type { BreachCheck } from '../../src/passwords/breach-check.js'

const blocklist = new PasswordBlocklist({ serviceName: 'Acme Auth' })
const CONTEXT = { email: 'quill.ravensworth+news@example.com', username: 'grace_h', name: 'Zoë O\'Brien' }

t.test('what is refused, and why', async t => {
  const cases: Array<[string, string | undefined]> = [
    ['123456789012', 'it is in a list of passwords attackers try first'],
    ['123456789012!', 'it is in a list of passwords attackers try first'],
    ['Password!!2024', 'it is a common password with only digits or symbols around it'],
    ['p a s s w o r d 1 2', 'it is a common password with only digits or symbols around it'],
    ['abcabcabcabc', 'it repeats a few characters'],
    ['!@!@!@!@!@!@', 'it repeats a few characters'],
    ['QuillRavensworth2024!', 'it is built from your email address'],
    ['Quill.Ravensworth+News 2024', 'it is built from your email address'],
    ['Grace_H 1906!', 'it is built from your username'],
    ['zoë.o\'brien.99', 'it is built from your name'],
    ['Zoe\u0308!!19841984', 'it is built from your name'],
    ['acme-auth-2024', 'it is built from the name of this service'],
    ['correct horse battery staple', undefined],
    ['zoë plays the cello at night', undefined],
    ['a1!a1!z9#kQ2$', undefined],
    // Short words between many digits are not looked for: a random number with two letters is no common password.
    ['ab8472910384756', undefined]
  ]
  for (const [password, reason] of cases) t.equal(blocklist.refusal(password, CONTEXT), reason, password)
})

t.test('check throws PASSWORD_TOO_COMMON, asking the breach check only when the list passes', async t => {
  const asked: string[] = []
  const breachCheck: BreachCheck = { isBreached: async password => { asked.push(password); return password.startsWith('pwned') } }
  const checked = new PasswordBlocklist({ serviceName: 'Auth', breachCheck })
  await t.rejects(checked.check('password123456!'), { code: 'PASSWORD_TOO_COMMON', statusCode: 400 })
  t.same(asked, [], 'a listed password is refused without asking')
  await t.rejects(checked.check('pwned but long passphrase'), { message: /it has appeared in a data breach/ })
  await t.resolves(checked.check('correct horse battery staple'))
  // Asked in NFC, as the password is hashed.
  await checked.check('cafe\u0301 au lait tous les matins')
  t.equal(asked.at(-1), 'caf\u00e9 au lait tous les matins')
})
