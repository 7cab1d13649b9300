import t from 'tap'
import { bearer, build, login, meStatus, register } from '../../helper.js'
import { query } from '../../helpers/database.js'

t.test('GET /auth/sessions lists the caller’s live sessions and marks the current one', async t => {
  const app = await build(t)
  const phone = await register(app)
  await app.inject({ method: 'POST', url: '/auth/login', payload: { email: phone.user.email, password: 'correct horse battery staple' }, headers: { 'user-agent': 'LaptopBrowser/1.0' } })
  await register(app) // another user's session is not listed
  const response = await app.inject({ url: '/auth/sessions', headers: bearer(phone.accessToken) })
  t.equal(response.statusCode, 200)
  const { sessions } = response.json()
  t.equal(sessions.length, 2)
  for (const session of sessions) {
    t.strictSame(Object.keys(session).sort(), ['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent'])
  }
  t.equal(sessions.filter((session: { current: boolean }) => session.current).length, 1)
  t.match(sessions.find((session: { current: boolean }) => !session.current), { userAgent: 'LaptopBrowser/1.0', ip: '127.0.0.1', current: false })
})

t.test('DELETE /auth/sessions/:id signs one of the caller’s devices out', async t => {
  const app = await build(t)
  const phone = await register(app)
  const laptop = await login(app, phone.user.email)
  const { sessions } = (await app.inject({ url: '/auth/sessions', headers: bearer(phone.accessToken) })).json()
  const laptopSession = sessions.find((session: { current: boolean }) => !session.current)
  const response = await app.inject({ method: 'DELETE', url: `/auth/sessions/${laptopSession.id}`, headers: bearer(phone.accessToken) })
  t.equal(response.statusCode, 200)
  t.strictSame(response.json(), { message: 'Session ended' })
  t.equal(await meStatus(app, laptop.accessToken), 401)
  t.equal(await meStatus(app, phone.accessToken), 200)
  const after = (await app.inject({ url: '/auth/sessions', headers: bearer(phone.accessToken) })).json().sessions
  t.equal(after.length, 1, 'an ended session is no longer listed')
})

t.test('another user’s session, or an unknown one, is a 404', async t => {
  const app = await build(t)
  const alice = await register(app)
  const bob = await register(app)
  const bobSession = (await app.inject({ url: '/auth/sessions', headers: bearer(bob.accessToken) })).json().sessions[0].id
  for (const id of [bobSession, '00000000-0000-4000-8000-000000000000']) {
    const response = await app.inject({ method: 'DELETE', url: `/auth/sessions/${id}`, headers: bearer(alice.accessToken) })
    t.equal(response.statusCode, 404)
    t.match(response.json(), { statusCode: 404, code: 'NOT_FOUND' })
  }
  t.equal(await meStatus(app, bob.accessToken), 200, 'bob is still signed in')
  await query(app)`UPDATE sessions SET expires_at = ${new Date(Date.now() - 1)} WHERE user_id = ${alice.user.id}`
  const aliceSession = (await query(app)`SELECT id FROM sessions WHERE user_id = ${alice.user.id}`)[0]?.id as string
  const expired = await app.inject({ method: 'DELETE', url: `/auth/sessions/${aliceSession}`, headers: bearer(bob.accessToken) })
  t.equal(expired.statusCode, 404, 'nor is an expired session anyone’s to end')
  const malformed = await app.inject({ method: 'DELETE', url: '/auth/sessions/not-a-uuid', headers: bearer(alice.accessToken) })
  t.equal(malformed.statusCode, 400)
  t.equal((await app.inject({ url: '/auth/sessions' })).statusCode, 401, 'the list needs a token')
})
