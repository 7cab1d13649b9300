import { join } from 'node:path'
import t, { type Test } from 'tap'
import { bearer, build, PASSWORD, post } from '../../helper.js'
import { sharedDatabase } from '../../helpers/database.js'
import { foreignHashes } from '../../helpers/hashes.js'
import { cli } from '../../helpers/processes.js'

function file (t: Test, lines: Array<Record<string, unknown>>): string {
  return join(t.testdir({ 'users.jsonl': lines.map(line => JSON.stringify(line)).join('\n') + '\n' }), 'users.jsonl')
}

const hashes = foreignHashes(PASSWORD)

/** Each older API's users, as its guide exports them, and the request its app signs in with. */
const SEEDS = [
  {
    profile: 'simplejwt',
    // Django allowed short names and names with @ and +: they keep working.
    lines: [
      { email: 'al@example.com', username: 'al', passwordHash: hashes['Django pbkdf2_sha256'] },
      { email: 'john@example.com', username: 'john+x@example.com', passwordHash: hashes['Django bcrypt_sha256'] }
    ],
    login: [['/api/auth/login/', { username: 'al', password: PASSWORD }], ['/api/auth/login/', { username: 'john+x@example.com', password: PASSWORD }]]
  },
  {
    profile: 'flask',
    lines: [
      { email: 'test@gmail.com', name: 'test', passwordHash: hashes['Werkzeug pbkdf2:sha256'] },
      { email: 'scrypt@gmail.com', name: 'scrypt', passwordHash: hashes['Werkzeug scrypt'] }
    ],
    login: [['/api/login', { email: 'test@gmail.com', password: PASSWORD }], ['/api/login', { email: 'scrypt@gmail.com', password: PASSWORD }]]
  },
  {
    profile: 'insighted',
    lines: [{
      email: 'teacher@example.com', username: 'teacher', role: 'instructor', metadata: { keahlian: 5 }, passwordHash: hashes['Django pbkdf2_sha256']
    }],
    login: [['/api/auth/login/', { username: 'teacher', password: PASSWORD }]]
  },
  {
    profile: 'spring',
    lines: [{ email: 'user@example.com', name: 'Nama Lengkap', passwordHash: hashes['bcrypt $2a$'] }],
    login: [['/auth/login', { email: 'user@example.com', password: PASSWORD }]]
  },
  {
    profile: 'nestjs',
    lines: [{ email: 'john@example.com', username: 'johndoe', name: 'John Doe', metadata: { nestId: 1 }, passwordHash: hashes['bcrypt $2b$'] }],
    login: [['/auth/signin', { username: 'johndoe', password: PASSWORD }]]
  }
] as const

for (const { profile, lines, login } of SEEDS) {
  t.test(`${profile}: imported users sign in through the profile with their old passwords, and only with them`, async t => {
    const env = await sharedDatabase(t)
    const imported = await cli(['import-users', file(t, lines as unknown as Array<Record<string, unknown>>)], env)
    t.equal(imported.code, 0, imported.stderr)
    const app = await build(t, { ...env, COMPAT_PROFILE: profile })
    for (const [url, body] of login) {
      const wrong = await post(app, url, { ...body, password: 'not the password' })
      t.equal(wrong.statusCode, 401, `${url}: a wrong password`)
      const response = await post(app, url, body)
      t.equal(response.statusCode, 200, `${url} ${JSON.stringify(body)}: ${response.body}`)
      const json = response.json()
      const token = json.access ?? json.tokens?.access ?? json.access_token ?? json.data?.token ?? json.accessToken
      t.equal((await app.inject({ url: `${app.config.authPrefix}/me`, headers: bearer(token) })).statusCode, 200)
      t.equal((await post(app, url, body)).statusCode, 200, 'and again, now with the service\'s own hash')
    }
  })
}
