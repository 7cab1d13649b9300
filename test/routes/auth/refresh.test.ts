import t from 'tap'
import { bearer, build, listen, meStatus, post, register } from '../../helper.js'
import { query } from '../../helpers/database.js'

const ROTATED = { accessToken: /^[\w-]+\.[\w-]+\.[\w-]+$/, refreshToken: /^[\w-]{43}$/, tokenType: 'Bearer', expiresIn: 900 }

t.test('POST /auth/refresh rotates: a new pair, and the old refresh token is spent', async t => {
  const app = await build(t)
  const first = await register(app)
  const response = await post(app, '/auth/refresh', { refreshToken: first.refreshToken })
  t.equal(response.statusCode, 200)
  const second = response.json()
  t.strictSame(Object.keys(second).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'tokenType'])
  t.match(second, ROTATED)
  t.not(second.refreshToken, first.refreshToken)
  t.equal(await meStatus(app, second.accessToken), 200)

  const third = await post(app, '/auth/token/refresh', { refreshToken: second.refreshToken })
  t.equal(third.statusCode, 200, 'the alias refreshes the new token in turn')
  t.not(third.json().refreshToken, second.refreshToken)

  const claims = (await post(app, '/auth/token/verify', { token: third.json().accessToken })).json().payload
  const original = (await post(app, '/auth/token/verify', { token: first.accessToken })).json().payload
  t.equal(claims.sid, original.sid, 'refreshing keeps the session')
})

t.test('within the grace window a repeated refresh gets the same new refresh token', async t => {
  const app = await build(t)
  const { refreshToken } = await register(app)
  const a = (await post(app, '/auth/refresh', { refreshToken })).json()
  const b = (await post(app, '/auth/refresh', { refreshToken })).json()
  t.equal(b.refreshToken, a.refreshToken, 'both callers hold one working token')
  t.equal(await meStatus(app, a.accessToken), 200)
  t.equal(await meStatus(app, b.accessToken), 200)
  t.equal((await post(app, '/auth/refresh', { refreshToken: a.refreshToken })).statusCode, 200, 'and it works')
})

/** `count` refreshes of one token sent at once over real sockets. */
function refreshAtOnce (url: string, refreshToken: string, count: number): Promise<Response[]> {
  return Promise.all(Array.from({ length: count }, () => fetch(`${url}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken })
  })))
}

/** A refresh over a real socket from a client of its own: its user agent and, through the trusted proxy, its address. */
async function refreshFrom (url: string, refreshToken: string, client: { ip: string, userAgent: string }) {
  const response = await fetch(`${url}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': client.userAgent, 'x-forwarded-for': client.ip },
    body: JSON.stringify({ refreshToken })
  })
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}

t.test('within the grace window, only the client that spent a token gets its successor again', async t => {
  const victim = { ip: '203.0.113.5', userAgent: 'AuthApp/2.1 (iPhone)' }
  const replays = {
    'another network, the same user agent': { ip: '198.51.100.7', userAgent: victim.userAgent },
    'the same network, another user agent': { ip: '203.0.113.5', userAgent: 'curl/8.5' },
    'an IPv6 client': { ip: '2001:db8::1', userAgent: victim.userAgent }
  }
  for (const [name, thief] of Object.entries(replays)) {
    const app = await build(t, { TRUST_PROXY: '127.0.0.1' })
    const url = await listen(app)
    const { refreshToken, user } = await register(app)
    const spent = await refreshFrom(url, refreshToken, victim)
    t.equal(spent.status, 200)
    const replay = await refreshFrom(url, refreshToken, thief)
    t.equal(replay.status, 401, `${name}: refused`)
    t.equal(replay.body.code, 'REFRESH_TOKEN_REUSED', name)
    const next = await refreshFrom(url, spent.body.refreshToken as string, victim)
    t.equal(next.status, 401, `${name}: the session has ended, for the victim too`)
    const [event] = await query(app)`SELECT ip, user_agent, reason FROM auth_events WHERE type = 'refresh_reuse_detected' AND user_id = ${user.id}`
    t.match(event, { ip: thief.ip, user_agent: thief.userAgent, reason: `spent by 203.0.113.0/24 (${victim.userAgent})` },
      `${name}: audited with both clients`)
  }

  const app = await build(t, { TRUST_PROXY: '127.0.0.1' })
  const url = await listen(app)
  const { refreshToken } = await register(app)
  const first = await refreshFrom(url, refreshToken, victim)
  const retry = await refreshFrom(url, refreshToken, { ...victim, ip: '203.0.113.77' })
  t.equal(retry.status, 200, 'the same client, from another address of its network, gets the same successor')
  t.equal(retry.body.refreshToken, first.body.refreshToken)

  const phone = { ip: '2001:db8:0:7:0:0:0:1', userAgent: victim.userAgent }
  const { refreshToken: second } = await register(app)
  const spent = await refreshFrom(url, second, phone)
  const sameNetwork = await refreshFrom(url, second, { ...phone, ip: '2001:DB8::7:aa:bb:cc:dd' })
  t.equal(sameNetwork.status, 200, 'an IPv6 client keeps its /64, however the address is written')
  t.equal(sameNetwork.body.refreshToken, spent.body.refreshToken)
})

t.test('twenty concurrent refreshes of one token advance the session exactly once', async t => {
  const app = await build(t)
  const url = await listen(app)
  const { refreshToken } = await register(app)
  const responses = await refreshAtOnce(url, refreshToken, 20)
  t.strictSame(responses.map(response => response.status), Array(20).fill(200))
  const tokens = new Set(await Promise.all(responses.map(async response => (await response.json()).refreshToken)))
  t.equal(tokens.size, 1, 'every caller got the same successor')
  const [rows] = await query(app)`SELECT count(*) AS n FROM refresh_tokens`
  t.equal(Number(rows?.n), 2, 'one spent token and one successor: the session advanced once')
})

t.test('without a grace window, concurrent refreshes of one token are one success and the rest reuse', async t => {
  const app = await build(t, { REFRESH_REUSE_GRACE: '0' })
  const url = await listen(app)
  const { refreshToken } = await register(app)
  const responses = await refreshAtOnce(url, refreshToken, 10)
  const bodies = await Promise.all(responses.map(async response => ({ status: response.status, body: await response.json() })))
  const succeeded = bodies.filter(reply => reply.status === 200)
  t.equal(succeeded.length, 1, 'one refresh spent the token')
  const others = bodies.filter(reply => reply.status !== 200)
  t.ok(others.every(reply => reply.status === 401), 'every other one was refused')
  // The first replay ends the session; those after it name a session that has ended.
  t.ok(others.some(reply => reply.body.code === 'REFRESH_TOKEN_REUSED'), 'a replay was taken as theft')
  t.ok(others.every(reply => ['REFRESH_TOKEN_REUSED', 'INVALID_REFRESH_TOKEN'].includes(reply.body.code)), others.map(reply => reply.body.code).join(', '))
  const successor = await post(app, '/auth/refresh', { refreshToken: succeeded[0]?.body.refreshToken })
  t.equal(successor.json().code, 'INVALID_REFRESH_TOKEN', 'and the session ended, its newest token with it')
})

t.test('a spent token presented after the grace window ends the whole session', async t => {
  const app = await build(t)
  const first = await register(app)
  const second = (await post(app, '/auth/refresh', { refreshToken: first.refreshToken })).json()
  // The refresh happened 11 s ago, past the default 10 s grace window.
  await query(app)`UPDATE refresh_tokens SET used_at = ${new Date(Date.now() - 11_000)} WHERE used_at IS NOT NULL`

  const reuse = await post(app, '/auth/refresh', { refreshToken: first.refreshToken })
  t.equal(reuse.statusCode, 401)
  t.match(reuse.json(), { statusCode: 401, code: 'REFRESH_TOKEN_REUSED', error: 'Unauthorized' })

  t.equal(await meStatus(app, first.accessToken), 401, 'the access tokens of the session are refused')
  t.equal(await meStatus(app, second.accessToken), 401)
  const next = await post(app, '/auth/refresh', { refreshToken: second.refreshToken })
  t.equal(next.statusCode, 401, 'and so is its newest refresh token')
  t.equal(next.json().code, 'INVALID_REFRESH_TOKEN')
})

t.test('with REFRESH_REUSE_GRACE=0 any second use is theft', async t => {
  const app = await build(t, { REFRESH_REUSE_GRACE: '0' })
  const { refreshToken, accessToken } = await register(app)
  t.equal((await post(app, '/auth/refresh', { refreshToken })).statusCode, 200)
  const again = await post(app, '/auth/refresh', { refreshToken })
  t.equal(again.json().code, 'REFRESH_TOKEN_REUSED')
  t.equal(await meStatus(app, accessToken), 401)
})

t.test('a theft in one session leaves the user’s other sessions alone', async t => {
  const app = await build(t, { REFRESH_REUSE_GRACE: '0' })
  const phone = await register(app)
  const laptop = (await post(app, '/auth/login', { email: phone.user.email, password: 'correct horse battery staple' })).json()
  await post(app, '/auth/refresh', { refreshToken: phone.refreshToken })
  await post(app, '/auth/refresh', { refreshToken: phone.refreshToken })
  t.equal(await meStatus(app, laptop.accessToken), 200)
})

t.test('refreshing slides the session but never past SESSION_MAX_AGE', async t => {
  const app = await build(t, { REFRESH_TOKEN_TTL: '1h', SESSION_MAX_AGE: '2h' })
  const { refreshToken, accessToken } = await register(app)
  const session = async () => (await app.store.db.select().from(app.store.tables.sessions))[0] as { createdAt: Date, expiresAt: Date, maxExpiresAt: Date }
  const expiresAt = async () => (await session()).expiresAt.getTime()
  const initial = await expiresAt()
  t.ok(Math.abs(initial - (Date.now() + 3_600_000)) < 5000, 'an idle session lives REFRESH_TOKEN_TTL')

  // As if 90 minutes had passed since login: the session may live 30 more minutes at most.
  const before = await session()
  await query(app)`UPDATE sessions SET created_at = ${new Date(before.createdAt.getTime() - 5_400_000)}, max_expires_at = ${new Date(before.maxExpiresAt.getTime() - 5_400_000)}, expires_at = ${new Date(before.expiresAt.getTime() - 3_000_000)}`
  const refreshed = await post(app, '/auth/refresh', { refreshToken })
  t.equal(refreshed.statusCode, 200)
  const max = (await session()).maxExpiresAt.getTime()
  t.equal(await expiresAt(), max, 'capped at the maximum age, not slid a full hour')
  t.ok(max - Date.now() < 1_900_000)

  const sessions = (await app.inject({ url: '/auth/sessions', headers: bearer(accessToken) })).json().sessions
  t.equal(Date.parse(sessions[0].expiresAt), max - (max % 60_000), 'and the user sees when it will end, to the minute')
  t.equal(Date.parse(sessions[0].lastUsedAt) % 60_000, 0, 'and when it was last used, to the minute')
})

t.test('refresh tokens that are not live are refused', async t => {
  const app = await build(t)
  const { accessToken, refreshToken } = await register(app)
  const other = await register(app)
  await query(app)`UPDATE refresh_tokens SET expires_at = ${new Date(Date.now() - 1)} WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ${other.user.id})`
  const cases: Array<[string, string]> = [
    ['an access token', accessToken],
    ['an unknown token', 'x'.repeat(43)],
    ['an expired refresh token', other.refreshToken]
  ]
  for (const [name, token] of cases) {
    const response = await post(app, '/auth/refresh', { refreshToken: token })
    t.equal(response.statusCode, 401, name)
    t.match(response.json(), { statusCode: 401, code: 'INVALID_REFRESH_TOKEN' }, name)
  }
  t.equal((await post(app, '/auth/refresh', { refreshToken })).statusCode, 200, 'while a live one works')
})

t.test('a disabled account cannot refresh', async t => {
  const app = await build(t)
  const { user, refreshToken } = await register(app)
  await query(app)`UPDATE users SET disabled_at = ${new Date()} WHERE id = ${user.id}`
  const response = await post(app, '/auth/refresh', { refreshToken })
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'INVALID_REFRESH_TOKEN')
})

t.test('the refresh body is validated', async t => {
  const app = await build(t)
  for (const [payload, path] of [[{ refreshToken: '' }, '/refreshToken'], [{ refreshToken: 5 }, '/refreshToken'], [{ refresh: 'x' }, '/refresh']] as const) {
    const response = await post(app, '/auth/refresh', payload)
    t.equal(response.statusCode, 400)
    t.equal(response.json().details[0].path, path)
  }
  const none = await post(app, '/auth/refresh', {})
  t.equal(none.statusCode, 401, 'no token in the body and no cookie')
  t.match(none.json(), { code: 'UNAUTHORIZED', message: /No refresh token/ })
})

t.test('the grace window does not outlive the session', async t => {
  const app = await build(t)
  const { refreshToken } = await register(app)
  t.equal((await post(app, '/auth/refresh', { refreshToken })).statusCode, 200)
  // The session reached its end right after the refresh.
  await query(app)`UPDATE sessions SET expires_at = ${new Date(Date.now() - 1)}`
  const again = await post(app, '/auth/refresh', { refreshToken })
  t.equal(again.statusCode, 401)
  t.equal(again.json().code, 'INVALID_REFRESH_TOKEN')
})

t.test('pruning keeps spent tokens while their session lives, so reuse is still detected', async t => {
  const app = await build(t)
  const { refreshToken, accessToken } = await register(app)
  await post(app, '/auth/refresh', { refreshToken })
  // The spent token's own expiry passed (the session has slid beyond it), and the grace window too.
  await query(app)`UPDATE refresh_tokens SET expires_at = ${new Date(Date.now() - 1)}, used_at = ${new Date(Date.now() - 11_000)} WHERE used_at IS NOT NULL`
  t.strictSame(await app.sessions.prune(), { sessions: 0, refreshTokens: 0 })
  const reuse = await post(app, '/auth/refresh', { refreshToken })
  t.equal(reuse.json().code, 'REFRESH_TOKEN_REUSED')
  t.equal(await meStatus(app, accessToken), 401)
})

t.test('a refresh whose audit event cannot be written is not half-done: the token stays unspent', async t => {
  const app = await build(t, { REFRESH_REUSE_GRACE: '0' })
  const { refreshToken } = await register(app)
  const record = app.events.record.bind(app.events)
  app.events.record = async (event, tx) => {
    if (event.type === 'refresh') throw new Error('the audit trail is full')
    return record(event, tx)
  }
  t.equal((await post(app, '/auth/refresh', { refreshToken })).statusCode, 500)
  app.events.record = record
  const retried = await post(app, '/auth/refresh', { refreshToken })
  t.equal(retried.statusCode, 200, 'the same token refreshes, not taken for a replay')
  const events = await query(app)`SELECT type FROM auth_events WHERE type = 'refresh'`
  t.equal(events.length, 1, 'one refresh, one event')
})
