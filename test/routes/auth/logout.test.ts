import t from 'tap'
import { bearer, build, listen, login, meStatus, post, register } from '../../helper.js'
import { query, sharedDatabase } from '../../helpers/database.js'

t.test('logout with the access token ends the session at once: access and refresh tokens alike', async t => {
  const app = await build(t)
  const { accessToken, refreshToken } = await register(app)
  const response = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(accessToken) })
  t.equal(response.statusCode, 200)
  t.strictSame(response.json(), { message: 'Logged out' })
  t.equal(await meStatus(app, accessToken), 401, '/auth/me refuses the access token')
  t.equal((await post(app, '/auth/token/verify', { token: accessToken })).statusCode, 401, 'so does token verification')
  const refresh = await post(app, '/auth/refresh', { refreshToken })
  t.equal(refresh.statusCode, 401)
  t.equal(refresh.json().code, 'INVALID_REFRESH_TOKEN', 'a logged-out token is not a theft')
})

t.test('logout with only the refresh token works when the access token has expired', async t => {
  const app = await build(t)
  const { accessToken, refreshToken } = await register(app)
  const response = await post(app, '/auth/logout', { refreshToken }, { authorization: 'Bearer expired.or.garbage' })
  t.equal(response.statusCode, 200)
  t.equal(await meStatus(app, accessToken), 401)
})

t.test('logout with all: true ends every session of the user, and only theirs', async t => {
  const app = await build(t)
  const phone = await register(app)
  const laptop = await login(app, phone.user.email)
  const stranger = await register(app)
  const response = await post(app, '/auth/logout', { all: true }, bearer(phone.accessToken))
  t.equal(response.statusCode, 200)
  t.equal(response.json().message, 'Logged out of every session')
  t.equal(await meStatus(app, phone.accessToken), 401)
  t.equal(await meStatus(app, laptop.accessToken), 401)
  t.equal((await post(app, '/auth/refresh', { refreshToken: laptop.refreshToken })).statusCode, 401)
  t.equal(await meStatus(app, stranger.accessToken), 200)
})

t.test('logout ends one session; the user’s other devices stay signed in', async t => {
  const app = await build(t)
  const phone = await register(app)
  const laptop = await login(app, phone.user.email)
  await post(app, '/auth/logout', {}, bearer(phone.accessToken))
  t.equal(await meStatus(app, phone.accessToken), 401)
  t.equal(await meStatus(app, laptop.accessToken), 200)
})

t.test('a user can never end another user’s session', async t => {
  const app = await build(t)
  const alice = await register(app)
  const bob = await register(app)
  const response = await post(app, '/auth/logout', { refreshToken: bob.refreshToken }, bearer(alice.accessToken))
  t.equal(response.statusCode, 200)
  t.equal(await meStatus(app, alice.accessToken), 401, 'the caller’s own session ended')
  t.equal(await meStatus(app, bob.accessToken), 200, 'the other user’s session did not')
  t.equal((await post(app, '/auth/refresh', { refreshToken: bob.refreshToken })).statusCode, 200)
})

t.test('logout without a live token of any kind is a 401', async t => {
  const app = await build(t)
  const { accessToken } = await register(app)
  await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(accessToken) })
  for (const [name, request] of [
    ['nothing', { method: 'POST' as const, url: '/auth/logout' }],
    ['an ended session', { method: 'POST' as const, url: '/auth/logout', headers: bearer(accessToken) }],
    ['an unknown refresh token', { method: 'POST' as const, url: '/auth/logout', payload: { refreshToken: 'x'.repeat(43) } }]
  ] as const) {
    const response = await app.inject(request)
    t.equal(response.statusCode, 401, name)
    t.equal(response.json().code, 'UNAUTHORIZED', name)
  }
  const bad = await post(app, '/auth/logout', { all: 'yes' })
  t.equal(bad.statusCode, 400, 'a malformed body is still a 400')
})

t.test('logout and refresh racing on one session end with the session ended', async t => {
  const app = await build(t)
  const url = await listen(app)
  for (let round = 0; round < 5; round++) {
    const { accessToken, refreshToken } = await register(app)
    const [logout, refresh] = await Promise.all([
      fetch(`${url}/auth/logout`, { method: 'POST', headers: bearer(accessToken) }),
      fetch(`${url}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) })
    ])
    t.equal(logout.status, 200)
    t.ok([200, 401].includes(refresh.status), `round ${round}: the refresh won or lost the race`)
    if (refresh.status === 200) {
      const pair = await refresh.json()
      t.equal(await meStatus(app, pair.accessToken), 401, 'a pair issued just before the logout is dead too')
      t.equal((await post(app, '/auth/refresh', { refreshToken: pair.refreshToken })).statusCode, 401)
    }
    t.equal(await meStatus(app, accessToken), 401)
  }
})

t.test('a logout survives a restart', async t => {
  const env = await sharedDatabase(t)
  const before = await build(t, env)
  const { accessToken, refreshToken } = await register(before)
  await post(before, '/auth/logout', {}, bearer(accessToken))
  await before.close()
  const after = await build(t, env)
  t.equal(await meStatus(after, accessToken), 401)
  t.equal((await post(after, '/auth/refresh', { refreshToken })).statusCode, 401)
})

t.test('an old spent refresh token cannot log anyone out', async t => {
  const app = await build(t)
  const phone = await register(app)
  const laptop = await login(app, phone.user.email)
  const current = (await post(app, '/auth/refresh', { refreshToken: phone.refreshToken })).json()
  await query(app)`UPDATE refresh_tokens SET used_at = ${new Date(Date.now() - 11_000)} WHERE used_at IS NOT NULL`
  const response = await post(app, '/auth/logout', { refreshToken: phone.refreshToken, all: true })
  t.equal(response.statusCode, 401)
  t.equal(await meStatus(app, current.accessToken), 200)
  t.equal(await meStatus(app, laptop.accessToken), 200)
})

t.test('within the grace window the spent token still logs its session out', async t => {
  const app = await build(t)
  const { refreshToken } = await register(app)
  const current = (await post(app, '/auth/refresh', { refreshToken })).json()
  t.equal((await post(app, '/auth/logout', { refreshToken })).statusCode, 200)
  t.equal(await meStatus(app, current.accessToken), 401)
})

t.test('a logout whose audit event cannot be written changes nothing, and says so', async t => {
  const app = await build(t)
  const { accessToken } = await register(app)
  const record = app.events.record.bind(app.events)
  app.events.record = async (event, tx) => {
    if (event.type === 'logout') throw new Error('the audit trail is full')
    return record(event, tx)
  }
  t.equal((await post(app, '/auth/logout', {}, bearer(accessToken))).statusCode, 500, 'the client is told the logout failed')
  t.equal(await meStatus(app, accessToken), 200, 'and the session is as it was, not ended without a record')
  app.events.record = record
  t.equal((await post(app, '/auth/logout', {}, bearer(accessToken))).statusCode, 200)
  t.equal(await meStatus(app, accessToken), 401)
})
