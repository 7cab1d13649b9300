import t from 'tap'
import type { App } from '../../../helpers/types.js'
import { bearer, build, login, meStatus, PASSWORD, post, register } from '../../../helper.js'
import { query } from '../../../helpers/database.js'

/** An admin signed in: created the only way admins are, through the same service the CLI uses. */
async function admin (app: App) {
  const user = await app.accounts.createUser({ email: `admin.${Math.random()}@example.com`, password: PASSWORD, role: 'admin' })
  return login(app, user.email)
}

function request (app: App, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, accessToken: string, payload?: object) {
  return app.inject({ method, url, headers: bearer(accessToken), payload })
}

t.test('admin routes answer 401 without a token and 403 FORBIDDEN for other roles', async t => {
  const app = await build(t)
  const { accessToken, user } = await register(app)
  const routes: Array<['GET' | 'POST' | 'PATCH' | 'DELETE', string, object?]> = [
    ['GET', '/auth/admin/users'],
    ['GET', `/auth/admin/users/${user.id}`],
    ['PATCH', `/auth/admin/users/${user.id}/role`, { role: 'admin' }],
    ['POST', `/auth/admin/users/${user.id}/disable`],
    ['POST', `/auth/admin/users/${user.id}/enable`],
    ['DELETE', `/auth/admin/users/${user.id}`]
  ]
  for (const [method, url, payload] of routes) {
    const anonymous = await app.inject({ method, url, payload })
    t.equal(anonymous.statusCode, 401, `${method} ${url} without a token`)
    const forbidden = await request(app, method, url, accessToken, payload)
    t.equal(forbidden.statusCode, 403, `${method} ${url} as a user`)
    t.match(forbidden.json(), { statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: /admin/ })
  }
  t.equal((await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).json().role, 'user', 'nothing changed')
})

t.test('an admin lists users newest first, paged, and searches by email or username', async t => {
  const app = await build(t)
  const { accessToken } = await admin(app)
  for (const [email, username] of [['alpha@example.com', 'Alpha_One'], ['beta@example.com', 'beta_two'], ['gamma@corp.example', 'gamma']]) {
    await register(app, { email, username })
  }
  const all = await request(app, 'GET', '/auth/admin/users', accessToken)
  t.equal(all.statusCode, 200)
  t.match(all.json(), { page: 1, limit: 20, total: 4 })
  t.equal(all.json().users[0].email, 'gamma@corp.example', 'newest first')
  t.strictSame(Object.keys(all.json().users[0]).sort(), ['createdAt', 'disabledAt', 'email', 'emailVerified', 'id', 'metadata', 'mfaEnabled', 'name', 'role', 'updatedAt', 'username'])

  const paged = (await request(app, 'GET', '/auth/admin/users?page=2&limit=3', accessToken)).json()
  t.match(paged, { page: 2, limit: 3, total: 4 })
  t.equal(paged.users.length, 1)

  const byEmail = (await request(app, 'GET', '/auth/admin/users?search=CORP', accessToken)).json()
  t.strictSame(byEmail.users.map((user: { email: string }) => user.email), ['gamma@corp.example'])
  const byUsername = (await request(app, 'GET', '/auth/admin/users?search=alpha_o', accessToken)).json()
  t.strictSame(byUsername.users.map((user: { email: string }) => user.email), ['alpha@example.com'])
  const wildcard = (await request(app, 'GET', '/auth/admin/users?search=%25', accessToken)).json()
  t.equal(wildcard.total, 0, 'a % in the search is a character, not a wildcard')

  for (const query of ['page=0', 'limit=101', 'limit=ten', 'sort=email', 'search=a%00b']) {
    t.equal((await request(app, 'GET', `/auth/admin/users?${query}`, accessToken)).statusCode, 400, query)
  }
})

t.test('an admin reads one user; unknown ids are 404 and malformed ones 400', async t => {
  const app = await build(t)
  const { accessToken } = await admin(app)
  const { user } = await register(app, { name: 'Someone' })
  const response = await request(app, 'GET', `/auth/admin/users/${user.id}`, accessToken)
  t.equal(response.statusCode, 200)
  t.match(response.json(), { ...user, disabledAt: null })
  t.notMatch(response.body, /password|\$2[aby]\$/i)
  t.equal((await request(app, 'GET', '/auth/admin/users/00000000-0000-4000-8000-000000000000', accessToken)).statusCode, 404)
  t.equal((await request(app, 'GET', '/auth/admin/users/nope', accessToken)).statusCode, 400)
})

t.test('changing a role takes effect at once and ends the user’s sessions', async t => {
  const app = await build(t)
  const root = await admin(app)
  const promoted = await register(app)
  const response = await request(app, 'PATCH', `/auth/admin/users/${promoted.user.id}/role`, root.accessToken, { role: 'admin' })
  t.equal(response.statusCode, 200)
  t.equal(response.json().role, 'admin')
  t.equal(await meStatus(app, promoted.accessToken), 401, 'the old token, with the old role, is dead')

  const again = await login(app, promoted.user.email)
  t.equal((await request(app, 'GET', '/auth/admin/users', again.accessToken)).statusCode, 200, 'the new admin can use the admin API')

  // Demote with a still-valid token in hand: that token stops opening admin routes at once.
  t.equal((await request(app, 'PATCH', `/auth/admin/users/${promoted.user.id}/role`, root.accessToken, { role: 'user' })).statusCode, 200)
  t.equal((await request(app, 'GET', '/auth/admin/users', again.accessToken)).statusCode, 401)
  const demoted = await login(app, promoted.user.email)
  t.equal((await request(app, 'GET', '/auth/admin/users', demoted.accessToken)).statusCode, 403)

  const invalid = await request(app, 'PATCH', `/auth/admin/users/${promoted.user.id}/role`, root.accessToken, { role: 'Root!' })
  t.equal(invalid.statusCode, 400)
})

t.test('the role is read from the database, not trusted from the token', async t => {
  const app = await build(t)
  const root = await admin(app)
  // A demotion written straight to the database, without the admin API ending the sessions.
  await query(app)`UPDATE users SET role = 'user' WHERE id = ${root.user.id}`
  const response = await request(app, 'GET', '/auth/admin/users', root.accessToken)
  t.equal(response.statusCode, 403, 'the token still says admin, but the account no longer is')
})

t.test('a disabled user is signed out, cannot log in or refresh, and can be enabled again', async t => {
  const app = await build(t)
  const root = await admin(app)
  const target = await register(app)
  const disabled = await request(app, 'POST', `/auth/admin/users/${target.user.id}/disable`, root.accessToken)
  t.equal(disabled.statusCode, 200)
  t.match(disabled.json(), { id: target.user.id, disabledAt: /^\d{4}-/ })
  t.equal(await meStatus(app, target.accessToken), 401)
  t.equal((await post(app, '/auth/refresh', { refreshToken: target.refreshToken })).statusCode, 401)

  const loginAttempt = await post(app, '/auth/login', { email: target.user.email, password: PASSWORD })
  const wrongPassword = await post(app, '/auth/login', { email: target.user.email, password: 'not the password' })
  t.equal(loginAttempt.statusCode, 401)
  t.equal(loginAttempt.body, wrongPassword.body, 'the same answer as a wrong password')

  const enabled = await request(app, 'POST', `/auth/admin/users/${target.user.id}/enable`, root.accessToken)
  t.equal(enabled.json().disabledAt, null)
  t.equal((await post(app, '/auth/login', { email: target.user.email, password: PASSWORD })).statusCode, 200)
})

t.test('deleting a user ends their tokens at once', async t => {
  const app = await build(t)
  const root = await admin(app)
  const target = await register(app)
  const response = await request(app, 'DELETE', `/auth/admin/users/${target.user.id}`, root.accessToken)
  t.equal(response.statusCode, 200)
  t.strictSame(response.json(), { message: 'User deleted' })
  t.equal(await meStatus(app, target.accessToken), 401)
  t.equal((await post(app, '/auth/refresh', { refreshToken: target.refreshToken })).statusCode, 401)
  t.equal((await post(app, '/auth/login', { email: target.user.email, password: PASSWORD })).statusCode, 401)
  t.equal((await request(app, 'DELETE', `/auth/admin/users/${target.user.id}`, root.accessToken)).statusCode, 404)
})

t.test('an admin cannot demote, disable or delete themselves', async t => {
  const app = await build(t)
  const root = await admin(app)
  for (const [method, url, payload] of [
    ['PATCH', `/auth/admin/users/${root.user.id}/role`, { role: 'user' }],
    ['POST', `/auth/admin/users/${root.user.id}/disable`, undefined],
    ['DELETE', `/auth/admin/users/${root.user.id}`, undefined]
  ] as const) {
    const response = await request(app, method, url, root.accessToken, payload)
    t.equal(response.statusCode, 409, `${method} ${url}`)
    t.equal(response.json().code, 'CANNOT_MODIFY_SELF')
  }
  t.equal((await request(app, 'GET', '/auth/admin/users', root.accessToken)).statusCode, 200, 'still an admin')
})

t.test('no admin can be made over HTTP', async t => {
  const app = await build(t, { SIGNUP_ROLES: 'user,student' })
  t.equal((await post(app, '/auth/register', { email: 'x@example.com', password: PASSWORD, role: 'admin' })).statusCode, 403)
  const { accessToken } = await register(app)
  t.equal((await request(app, 'PATCH', '/auth/me', accessToken, { role: 'admin' })).statusCode, 400)
})
