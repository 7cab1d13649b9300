import { createSigner } from 'fast-jwt'
import t from 'tap'
import { OTHER_COMMITS_CHECK_MS } from '../../../src/db/index.js'
import { bearer, build, post, register, TEST_SECRET } from '../../helper.js'
import { fakeMonotonicClock } from '../../helpers/clock.js'
import { query, sharedDatabase } from '../../helpers/database.js'

t.test('GET /auth/me and its alias /auth/profile return the signed-in user', async t => {
  const app = await build(t)
  const { user, accessToken } = await register(app, { name: 'Ada' })
  for (const url of ['/auth/me', '/auth/profile']) {
    const response = await app.inject({ url, headers: bearer(accessToken) })
    t.equal(response.statusCode, 200, url)
    t.strictSame(response.json(), { ...user, amr: ['pwd'] }, url)
  }
})

t.test('the Bearer scheme is case-insensitive', async t => {
  const app = await build(t)
  const { accessToken } = await register(app)
  const response = await app.inject({ url: '/auth/me', headers: { authorization: `bearer ${accessToken}` } })
  t.equal(response.statusCode, 200)
})

t.test('a missing or malformed Authorization header is a 401 asking for a Bearer token', async t => {
  const app = await build(t)
  const { accessToken } = await register(app)
  for (const authorization of [undefined, '', 'Bearer', 'Basic dXNlcjpwYXNz', `Token ${accessToken}`, `Bearer ${accessToken} extra`]) {
    const response = await app.inject({ url: '/auth/me', headers: authorization === undefined ? {} : { authorization } })
    t.equal(response.statusCode, 401, String(authorization))
    t.equal(response.headers['www-authenticate'], 'Bearer')
    t.match(response.json(), { statusCode: 401, code: 'UNAUTHORIZED', error: 'Unauthorized', message: /Bearer/ })
  }
})

/** Signs `claims` the way the service does unless `options` say otherwise. */
function forge (claims: Record<string, unknown>, options: Record<string, unknown> = {}): string {
  const sign = createSigner({ key: TEST_SECRET, algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt' }, expiresIn: 60_000, ...options })
  return sign(claims)
}

t.test('tokens that are not live access tokens of this service are refused', async t => {
  const app = await build(t)
  const { accessToken, refreshToken } = await register(app)
  const verified = (await app.inject({ method: 'POST', url: '/auth/token/verify', payload: { token: accessToken } })).json().payload
  const claims = { sub: verified.sub, role: verified.role, sid: verified.sid, jti: 'x' }
  const [header, payload] = accessToken.split('.')
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')

  const cases: Array<[string, string]> = [
    ['a refresh token', refreshToken],
    ['alg none', `${none}.${payload}.`],
    ['a wrong signature', `${header}.${payload}.${'A'.repeat(43)}`],
    ['another secret', forge(claims, { key: 'another-secret-that-is-at-least-32-bytes' })],
    ['an expired token', forge({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, { expiresIn: undefined })],
    ['a plain JWT type', forge(claims, { header: { alg: 'HS256', typ: 'JWT' } })],
    ['HS512', forge(claims, { algorithm: 'HS512', header: { alg: 'HS512', typ: 'at+jwt' } })],
    ['no session claim', forge({ sub: verified.sub, role: 'user', jti: 'x' })],
    ['no issued-at claim', forge(claims, { noTimestamp: true })],
    ['an unknown session', forge({ ...claims, sid: '00000000-0000-4000-8000-000000000000' })],
    ['a session of another user', forge({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })],
    ['garbage', 'not.a.jwt'],
    ['an oversized token', 'a'.repeat(5000)]
  ]
  t.equal((await app.inject({ url: '/auth/me', headers: bearer(forge(claims)) })).statusCode, 200, 'a correctly forged token passes, so the cases below fail for their own reason')
  for (const [name, token] of cases) {
    const response = await app.inject({ url: '/auth/me', headers: bearer(token) })
    t.equal(response.statusCode, 401, name)
    t.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"', name)
    t.match(response.json(), { statusCode: 401, code: 'INVALID_TOKEN', error: 'Unauthorized' }, name)
  }
})

t.test('an access token stops working as soon as its session is revoked', async t => {
  const app = await build(t)
  const { accessToken } = await register(app)
  t.equal((await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 200)
  await query(app)`UPDATE sessions SET revoked_at = ${new Date()}`
  t.equal((await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).statusCode, 401)
})

async function me (app: Awaited<ReturnType<typeof build>>, accessToken: string) {
  const response = await app.inject({ url: '/auth/me', headers: bearer(accessToken) })
  return { status: response.statusCode, name: response.statusCode === 200 ? response.json().name : undefined }
}

// The checks below run each token twice before the change: the second answer comes from what
// the first one found (on SQLite, sessions found live are kept in memory), which the change
// must not leave stale.
/** The session id an access token names. */
function sessionOf (accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString()).sid
}

t.test('a change to the account or the session is seen by the very next token check', async t => {
  const app = await build(t)
  const { user, accessToken } = await register(app, { name: 'Ada' })
  const sql = query(app)
  const twice = async () => [await me(app, accessToken), await me(app, accessToken)]

  t.strictSame(await twice(), [{ status: 200, name: 'Ada' }, { status: 200, name: 'Ada' }])
  // What the checks below are about: on SQLite the session is now kept in memory.
  t.equal(app.sessions.keptUser(sessionOf(accessToken), user.id)?.name, app.store.dialect === 'sqlite' ? 'Ada' : undefined)
  t.equal((await app.inject({ method: 'PATCH', url: '/auth/me', payload: { name: 'Ada L.' }, headers: bearer(accessToken) })).statusCode, 200)
  t.strictSame(await me(app, accessToken), { status: 200, name: 'Ada L.' }, 'a profile change')

  await twice()
  await sql`UPDATE users SET name = 'Countess' WHERE id = ${user.id}`
  t.strictSame(await me(app, accessToken), { status: 200, name: 'Countess' }, 'a change made past the API')

  await twice()
  await sql`UPDATE users SET disabled_at = ${new Date()} WHERE id = ${user.id}`
  t.equal((await me(app, accessToken)).status, 401, 'a disabled account')
  await sql`UPDATE users SET disabled_at = NULL WHERE id = ${user.id}`
  t.equal((await me(app, accessToken)).status, 200, 'enabled again')

  await twice()
  await sql`UPDATE sessions SET expires_at = ${new Date(Date.now() - 1000)}`
  t.equal((await me(app, accessToken)).status, 401, 'an expired session')

  const other = await register(app)
  await twice()
  t.strictSame(await me(app, other.accessToken), { status: 200, name: null })
  await sql`DELETE FROM users WHERE id = ${other.user.id}`
  t.equal((await me(app, other.accessToken)).status, 401, 'a deleted account')
})

t.test('a demotion is seen by the very next request that needs the role', async t => {
  const app = await build(t)
  const { user, accessToken } = await register(app)
  await query(app)`UPDATE users SET role = 'admin' WHERE id = ${user.id}`
  const users = async () => (await app.inject({ url: '/auth/admin/users', headers: bearer(accessToken) })).statusCode
  t.strictSame([await users(), await users()], [200, 200])
  await query(app)`UPDATE users SET role = 'user' WHERE id = ${user.id}`
  t.equal(await users(), 403)
})

t.test('a session kept live is refused once it expires, though nothing changed its row', async t => {
  const app = await build(t, { REFRESH_TOKEN_TTL: '1m' })
  const { accessToken } = await register(app)
  t.strictSame([(await me(app, accessToken)).status, (await me(app, accessToken)).status], [200, 200])
  const now = Date.now
  Date.now = () => now() + 61_000
  t.teardown(() => { Date.now = now })
  const late = await me(app, accessToken)
  Date.now = now
  t.equal(late.status, 401, 'a minute later the session has expired; its access token has not')
})

t.test('a session ended through another instance on the same database is refused by this one within a millisecond', async t => {
  const env = await sharedDatabase(t)
  const [one, two] = [await build(t, env), await build(t, env)]
  // On SQLite, another connection's commits are looked for once a millisecond; on PostgreSQL, at every check.
  const clock = fakeMonotonicClock(t)
  const { accessToken, refreshToken } = await register(one, { name: 'Ada' })
  t.strictSame([await me(one, accessToken), await me(one, accessToken)], [{ status: 200, name: 'Ada' }, { status: 200, name: 'Ada' }])

  t.equal((await two.inject({ method: 'PATCH', url: '/auth/me', payload: { name: 'Ada L.' }, headers: bearer(accessToken) })).statusCode, 200)
  clock.advance(OTHER_COMMITS_CHECK_MS)
  t.strictSame(await me(one, accessToken), { status: 200, name: 'Ada L.' }, 'a profile changed on the other instance')

  t.equal((await post(two, '/auth/logout', { refreshToken })).statusCode, 200)
  clock.advance(OTHER_COMMITS_CHECK_MS)
  t.equal((await me(one, accessToken)).status, 401, 'a logout on the other instance')
  const verified = await post(one, '/auth/token/verify', { token: accessToken })
  t.equal(verified.statusCode, 401)
})

t.test('a change rolled back is not seen afterwards, even when a check read it while it was pending', async t => {
  const app = await build(t)
  const { accessToken } = await register(app, { name: 'Ada' })
  const record = app.events.record.bind(app.events)
  let during: Awaited<ReturnType<typeof me>> | undefined
  app.events.record = async (event, tx) => {
    if (event.type !== 'profile_change') return record(event, tx)
    // The account's row is changed and its transaction still open: a token check comes in.
    during = await me(app, accessToken)
    throw new Error('the audit trail is full')
  }
  const patch = await app.inject({ method: 'PATCH', url: '/auth/me', payload: { name: 'Mallory' }, headers: bearer(accessToken) })
  app.events.record = record
  t.equal(patch.statusCode, 500)
  t.equal(during?.status, 200, 'a check ran while the change was pending')
  t.strictSame(await me(app, accessToken), { status: 200, name: 'Ada' }, 'the change is not seen once rolled back')
})

t.test('issuer and audience are put in tokens and checked when configured', async t => {
  const env = { JWT_ISSUER: 'https://auth.example.com', JWT_AUDIENCE: 'example-api' }
  const app = await build(t, env)
  const { accessToken } = await register(app)
  const verify = await app.inject({ method: 'POST', url: '/auth/token/verify', payload: { token: accessToken } })
  t.match(verify.json().payload, { iss: 'https://auth.example.com', aud: 'example-api' })

  const claims = verify.json().payload
  const base = { sub: claims.sub, role: claims.role, sid: claims.sid, jti: 'x' }
  for (const [name, options] of [
    ['no issuer', { aud: 'example-api' }],
    ['another issuer', { iss: 'https://evil.example.com', aud: 'example-api' }],
    ['another audience', { iss: 'https://auth.example.com', aud: 'other-api' }]
  ] as const) {
    const response = await app.inject({ url: '/auth/me', headers: bearer(forge(base, options)) })
    t.equal(response.statusCode, 401, name)
  }
})
