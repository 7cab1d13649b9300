import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { bearer, build, register } from '../helper.js'
import { query, sharedDatabase } from '../helpers/database.js'

t.test('a SQLite file in a folder that does not exist yet: the folder is created', async t => {
  const folder = mkdtempSync(join(tmpdir(), 'auth-jwt-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  const app = await build(t, { DATABASE_URL: join(folder, 'nested', 'auth.db') })
  await register(app)
  t.ok(existsSync(join(folder, 'nested', 'auth.db')))
})

t.test('without JWT_SECRET a secret is generated once, kept in the database, and tokens survive a restart', async t => {
  const env = { JWT_SECRET: '', ...await sharedDatabase(t) }

  const first = await build(t, env)
  const { accessToken } = await register(first)
  t.equal((await first.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 200)
  const [stored] = await query(first)`SELECT value FROM settings WHERE key = 'jwt_secret'` as Array<{ value: string }>
  t.equal(Buffer.from(stored?.value ?? '', 'base64url').length, 32, 'a 256-bit secret')
  await first.close()

  const second = await build(t, env)
  const me = await second.inject({ url: '/auth/me', headers: bearer(accessToken) })
  t.equal(me.statusCode, 200, 'a token from before the restart still works')
  const [again] = await query(second)`SELECT value FROM settings WHERE key = 'jwt_secret'`
  t.equal(again?.value, stored?.value, 'the secret was not replaced')
})

t.test('tokens signed with another secret are refused after JWT_SECRET changes', async t => {
  const database = await sharedDatabase(t)
  const first = await build(t, { ...database, JWT_SECRET: 'first-secret-that-is-at-least-32-bytes-long' })
  const { accessToken } = await register(first)
  await first.close()
  const second = await build(t, { ...database, JWT_SECRET: 'second-secret-that-is-at-least-32-bytes-long' })
  t.equal((await second.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 401)
})

t.test('access tokens carry typ at+jwt and the pinned algorithm', async t => {
  const app = await build(t)
  const { accessToken } = await register(app)
  const header = JSON.parse(Buffer.from(accessToken.split('.')[0] as string, 'base64url').toString())
  t.strictSame(header, { alg: 'HS256', typ: 'at+jwt' })
})
