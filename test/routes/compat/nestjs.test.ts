import t from 'tap'
import { bearer, build, listen, PASSWORD, post } from '../../helper.js'

const PROFILE = { COMPAT_PROFILE: 'nestjs' }
const UUID = /^[0-9a-f-]{36}$/
const DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const JOHN = { email: 'john@example.com', username: 'johndoe', password: PASSWORD, name: 'John Doe' }

t.test('the documented flow, request by request: signup, signin, profile, refresh, logout', async t => {
  const app = await build(t, PROFILE)

  const signup = await post(app, '/auth/signup', JOHN)
  t.equal(signup.statusCode, 201)
  const created = signup.json()
  t.same(Object.keys(created), ['user', 'message'])
  t.same(Object.keys(created.user), ['id', 'email', 'username', 'name', 'createdAt', 'updatedAt'])
  t.match(created, {
    user: { id: UUID, email: 'john@example.com', username: 'johndoe', name: 'John Doe', createdAt: DATE, updatedAt: DATE },
    message: 'User created successfully'
  })
  const sessions = await app.sessions.list(created.user.id, '')
  t.equal(sessions.length, 0, 'signup starts no session: the client signs in next')

  const signin = await post(app, '/auth/signin', { username: 'johndoe', password: PASSWORD })
  t.equal(signin.statusCode, 200)
  const tokens = signin.json()
  t.same(Object.keys(tokens), ['user', 'accessToken', 'refreshToken'])
  t.same(tokens.user, { id: created.user.id, username: 'johndoe', email: 'john@example.com', name: 'John Doe' })

  const profile = await app.inject({ url: '/auth/profile', headers: bearer(tokens.accessToken) })
  t.equal(profile.statusCode, 200)
  t.same(profile.json(), { userId: created.user.id, username: 'johndoe', email: 'john@example.com' })

  const refreshed = await post(app, '/auth/refresh', { refreshToken: tokens.refreshToken })
  t.equal(refreshed.statusCode, 200)
  const pair = refreshed.json()
  t.same(Object.keys(pair), ['accessToken', 'refreshToken'])
  t.not(pair.refreshToken, tokens.refreshToken, 'the refresh token rotates')

  const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(pair.accessToken) })
  t.equal(logout.statusCode, 200)
  t.same(logout.json(), { message: 'Logged out successfully' })

  // Revocation is immediate on every route, the profile's and the service's own.
  for (const url of ['/auth/profile', '/native/auth/me', '/native/auth/sessions']) {
    const after = await app.inject({ url, headers: bearer(pair.accessToken) })
    t.equal(after.statusCode, 401, url)
  }
  t.same((await app.inject({ url: '/auth/profile', headers: bearer(pair.accessToken) })).json(),
    { statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' })
  const dead = await post(app, '/auth/refresh', { refreshToken: pair.refreshToken })
  t.equal(dead.statusCode, 401)
  t.same(dead.json(), { statusCode: 401, error: 'Unauthorized', message: 'Invalid refresh token' })
})

t.test('errors in NestJS\'s shape: the validation list, 409 on a taken name, one 401 for a bad sign-in', async t => {
  const app = await build(t, PROFILE)
  t.equal((await post(app, '/auth/signup', JOHN)).statusCode, 201)

  const missing = await post(app, '/auth/signup', { email: 'jane@example.com', password: PASSWORD })
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { statusCode: 400, error: 'Bad Request', message: ['username is required'] })
  const short = await post(app, '/auth/signup', { ...JOHN, username: 'jane', password: 'short' })
  t.equal(short.statusCode, 400)
  t.match(short.json(), { statusCode: 400, error: 'Bad Request', message: [/^password must NOT have fewer than 12 characters$/] })
  const json = await app.inject({ method: 'POST', url: '/auth/signin', payload: '{"username":', headers: { 'content-type': 'application/json' } })
  t.equal(json.statusCode, 400)
  t.match(json.json(), { statusCode: 400, error: 'Bad Request', message: String })

  const username = await post(app, '/auth/signup', { ...JOHN, email: 'other@example.com' })
  t.equal(username.statusCode, 409)
  t.same(username.json(), { statusCode: 409, error: 'Conflict', message: 'Username already exists' })
  const email = await post(app, '/auth/signup', { ...JOHN, username: 'johnny' })
  t.equal(email.statusCode, 409)
  t.same(email.json(), { statusCode: 409, error: 'Conflict', message: 'Email already exists' })

  const wrong = await post(app, '/auth/signin', { username: 'johndoe', password: 'not the password' })
  const unknown = await post(app, '/auth/signin', { username: 'nobody', password: 'not the password' })
  for (const response of [wrong, unknown]) {
    t.equal(response.statusCode, 401)
    t.same(response.json(), { statusCode: 401, error: 'Unauthorized', message: 'Invalid credentials' })
  }
  const anonymous = await app.inject({ method: 'POST', url: '/auth/logout' })
  t.equal(anonymous.statusCode, 401)
  t.same(anonymous.json(), { statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' })
})

t.test('fields the old API ignored are ignored, and never stored', async t => {
  const app = await build(t, PROFILE)
  const signup = await post(app, '/auth/signup', { ...JOHN, role: 'admin', metadata: { a: 1 }, confirmPassword: 'x' })
  t.equal(signup.statusCode, 201)
  const signin = await post(app, '/auth/signin', { username: 'johndoe', password: PASSWORD })
  const me = await app.inject({ url: '/native/auth/me', headers: bearer(signin.json().accessToken) })
  t.match(me.json(), { role: 'user', metadata: {} })
})

t.test('the limits hold on the profile\'s routes, answered in its shape', async t => {
  const app = await build(t, { ...PROFILE, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '1/1m' })
  t.equal((await post(app, '/auth/signup', JOHN)).statusCode, 201)
  const second = await post(app, '/auth/signup', { ...JOHN, email: 'jane@example.com', username: 'jane' })
  t.equal(second.statusCode, 429)
  t.match(second.json(), { statusCode: 429, error: 'Too Many Requests', message: /^Too many requests/ })
  t.ok(Number(second.headers['retry-after']) > 0)
})

t.test('the service\'s own API moves to /native/auth, and its pages and cookie follow', async t => {
  const app = await build(t, PROFILE)
  const base = await listen(app)
  const native = await fetch(`${base}/native/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'page@example.com', password: PASSWORD, cookie: true })
  })
  t.equal(native.status, 201)
  const cookies = native.headers.getSetCookie()
  t.match(cookies, [/; Path=\/native\/auth\/refresh;/, /; Path=\/native\/auth\/logout;/])
  t.equal((await post(app, '/auth/login', { email: 'page@example.com', password: PASSWORD })).statusCode, 404,
    'the profile owns /auth: the service\'s own login is at /native/auth/login')
  for (const url of ['/', '/login', '/register']) {
    t.match((await app.inject({ url })).body, /<body data-page="\w+" data-api="\/native\/auth">/, url)
  }

  const document = (await app.inject({ url: '/docs/json' })).json()
  t.match(document.paths['/auth/signup'].post, { tags: ['compat: nestjs'] })
  t.match(document.paths['/native/auth/login'].post, { tags: ['auth'] })
  t.notOk(document.paths['/auth/login'], 'no path is documented twice')
  t.match(document.tags, [{ name: 'compat: nestjs' }])
})

t.test('without a profile, the service\'s own API stays at /auth and the pages call it there', async t => {
  const app = await build(t)
  t.match((await app.inject({ url: '/login' })).body, /data-api="\/auth"/)
  t.equal((await app.inject({ url: '/native/auth/me' })).statusCode, 404)
  t.equal((await app.inject({ url: '/docs/json' })).json().tags.some((tag: { name: string }) => tag.name.startsWith('compat')), false)
})
