import t from 'tap'
import type { App } from '../../../helpers/types.js'
import { bearer, build, login, PASSWORD, post, register } from '../../../helper.js'
import { query } from '../../../helpers/database.js'

async function admin (app: App) {
  const user = await app.accounts.createUser({ email: `admin.${Math.random()}@example.com`, password: PASSWORD, role: 'admin' })
  return login(app, user.email)
}

interface Event { type: string, userId: string | null, sessionId: string | null, actorId: string | null, ip: string | null, userAgent: string | null, reason: string | null }

async function events (app: App, accessToken: string, query = ''): Promise<{ events: Event[], total: number, page: number, limit: number }> {
  const response = await app.inject({ url: `/auth/admin/events?limit=100${query}`, headers: bearer(accessToken) })
  if (response.statusCode !== 200) throw new Error(`events: ${response.statusCode} ${response.body}`)
  return response.json()
}

t.test('the audit trail records what happens to an account, and never a secret', async t => {
  const app = await build(t, { REFRESH_REUSE_GRACE: '0' })
  const root = await admin(app)
  const headers = { 'user-agent': 'AuditTest/1.0' }
  const registered = (await app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'audited@example.com', password: PASSWORD }, headers })).json()
  const id = registered.user.id
  await post(app, '/auth/login', { email: 'audited@example.com', password: 'a wrong password' })
  await post(app, '/auth/login', { email: 'nobody@example.com', password: 'a wrong password' })
  const session = (await post(app, '/auth/login', { email: 'audited@example.com', password: PASSWORD })).json()
  const refreshed = (await post(app, '/auth/refresh', { refreshToken: session.refreshToken })).json()
  await post(app, '/auth/refresh', { refreshToken: session.refreshToken }) // reuse: theft
  await app.inject({ method: 'PATCH', url: '/auth/password', headers: bearer(registered.accessToken), payload: { currentPassword: 'wrong one', newPassword: 'a new passphrase' } })
  await app.inject({ method: 'PATCH', url: '/auth/password', headers: bearer(registered.accessToken), payload: { currentPassword: PASSWORD, newPassword: 'a new passphrase' } })
  await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(registered.accessToken), payload: { all: true } })
  for (const [method, path, payload] of [['PATCH', 'role', { role: 'support' }], ['POST', 'disable'], ['POST', 'enable'], ['DELETE', '']] as const) {
    const response = await app.inject({ method, url: `/auth/admin/users/${id}${path === '' ? '' : '/' + path}`, headers: bearer(root.accessToken), payload })
    t.equal(response.statusCode, 200, `${method} ${path}`)
  }

  const trail = (await events(app, root.accessToken, `&userId=${id}`)).events.reverse()
  t.strictSame(trail.map(event => [event.type, event.reason]), [
    ['register', null],
    ['email_verification_requested', null],
    ['login_failure', 'wrong_password'],
    ['login_success', null],
    ['refresh', null],
    ['refresh_reuse_detected', 'spent by 127.0.0.0/24 (lightMyRequest)'],
    ['login_failure', 'wrong_current_password'],
    ['password_change', null],
    ['logout', 'all_sessions'],
    ['role_change', 'role: support'],
    ['user_disabled', null],
    ['user_enabled', null],
    ['user_deleted', null]
  ], 'in order, and kept after the account is deleted')
  t.match(trail[0], { userId: id, sessionId: String, ip: '127.0.0.1', userAgent: 'AuditTest/1.0', actorId: null })
  t.equal(trail[9]?.actorId, root.user.id, 'admin actions name the admin')

  const unknown = (await events(app, root.accessToken, '&type=login_failure')).events.find(event => event.reason === 'unknown_account')
  t.match(unknown, { userId: null, ip: '127.0.0.1' }, 'a failed login for no account is recorded too')

  const everything = JSON.stringify(await query(app)`SELECT * FROM auth_events`)
  for (const secret of [PASSWORD, 'a wrong password', 'a new passphrase', registered.accessToken, registered.refreshToken, session.refreshToken, refreshed.refreshToken, refreshed.accessToken]) {
    t.notOk(everything.includes(secret), 'no password or token in the audit trail')
  }
})

t.test('lockouts, ended sessions, profile changes and CLI-made accounts are recorded too', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES: '2' })
  const root = await admin(app)
  const phone = await register(app)
  const laptop = await login(app, phone.user.email)
  for (let i = 0; i < 3; i++) await post(app, '/auth/login', { email: phone.user.email, password: 'a wrong password' })
  await app.inject({ method: 'PATCH', url: '/auth/me', headers: bearer(phone.accessToken), payload: { name: 'New', metadata: {} } })
  const laptopSession = (await app.inject({ url: '/auth/sessions', headers: bearer(phone.accessToken) })).json().sessions.find((session: { current: boolean }) => !session.current).id
  await app.inject({ method: 'DELETE', url: `/auth/sessions/${laptopSession}`, headers: bearer(phone.accessToken) })
  t.ok(laptop.accessToken)

  const trail = (await events(app, root.accessToken, `&userId=${phone.user.id}`)).events.reverse()
  t.match(trail.map(event => [event.type, event.reason]), [
    ['register', null], ['email_verification_requested', null], ['login_success', null],
    ['login_failure', 'wrong_password'], ['login_locked', null], ['login_failure', 'wrong_password'],
    ['profile_change', 'metadata, name'], ['session_revoked', null]
  ])
  t.equal(trail[7]?.sessionId, laptopSession)
  const created = (await events(app, root.accessToken, '&type=user_created')).events
  t.match(created, [{ userId: root.user.id, reason: 'role: admin', actorId: null }])
})

t.test('events are paged newest first and filtered by user and type; only admins read them', async t => {
  const app = await build(t)
  const root = await admin(app)
  const alice = await register(app)
  await register(app)
  const registrations = await events(app, root.accessToken, '&type=register')
  t.equal(registrations.total, 2)
  t.equal(registrations.events[0]?.userId !== alice.user.id, true, 'newest first')
  const page = await app.inject({ url: '/auth/admin/events?type=register&limit=1&page=2', headers: bearer(root.accessToken) })
  t.match(page.json(), { page: 2, limit: 1, total: 2, events: [{ userId: alice.user.id }] })

  t.equal((await app.inject({ url: '/auth/admin/events', headers: bearer(alice.accessToken) })).statusCode, 403)
  t.equal((await app.inject({ url: '/auth/admin/events' })).statusCode, 401)
  for (const query of ['type=launch', 'userId=not-a-uuid', 'limit=0']) {
    t.equal((await app.inject({ url: `/auth/admin/events?${query}`, headers: bearer(root.accessToken) })).statusCode, 400, query)
  }
})

t.test('events older than AUDIT_RETENTION are pruned', async t => {
  const app = await build(t, { AUDIT_RETENTION: '30d', EMAIL_VERIFICATION: 'off' })
  await register(app)
  await register(app)
  await query(app)`UPDATE auth_events SET created_at = ${new Date(Date.now() - 31 * 86_400_000)} WHERE id = (SELECT min(id) FROM auth_events)`
  t.equal(await app.events.prune(app.config.auditRetention), 1)
  t.equal(Number((await query(app)`SELECT count(*) AS n FROM auth_events`)[0]?.n), 1)
})
