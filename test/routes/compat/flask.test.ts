import t from 'tap'
import { bearer, build, PASSWORD, post } from '../../helper.js'

const PROFILE = { COMPAT_PROFILE: 'flask' }
const TEST = { name: 'test', email: 'test@gmail.com', password: PASSWORD }

t.test('the documented flow, request by request: register, login, user-info; a logout ends the token', async t => {
  const app = await build(t, PROFILE)

  const register = await post(app, '/api/register', TEST)
  t.equal(register.statusCode, 201)
  t.same(register.json(), { message: 'User registered successfully' })

  const login = await post(app, '/api/login', { email: 'test@gmail.com', password: PASSWORD })
  t.equal(login.statusCode, 200)
  t.same(Object.keys(login.json()), ['access_token'])
  const token = login.json().access_token as string

  const info = await app.inject({ url: '/api/user-info', headers: bearer(token) })
  t.equal(info.statusCode, 200)
  t.match(info.json(), { id: /^[0-9a-f-]{36}$/, name: 'test', email: 'test@gmail.com' })
  t.same(Object.keys(info.json()), ['id', 'name', 'email'])

  // The old API had no logout; the service's own ends the session, and the profile's route sees it at once.
  t.equal((await post(app, '/auth/logout', {}, bearer(token))).statusCode, 200)
  const after = await app.inject({ url: '/api/user-info', headers: bearer(token) })
  t.equal(after.statusCode, 401)
  t.same(after.json(), { status_code: 401, error: 'Invalid token', description: 'Token is invalid, expired or revoked' })
})

t.test('the pages stay at /, /login and /register and call the service\'s own API', async t => {
  const app = await build(t, PROFILE)
  for (const url of ['/', '/login', '/register']) {
    const page = await app.inject({ url })
    t.equal(page.statusCode, 200, url)
    t.match(page.body, /data-api="\/auth"/, url)
  }
})

t.test('errors in Flask-JWT\'s shape', async t => {
  const app = await build(t, PROFILE)
  t.equal((await post(app, '/api/register', TEST)).statusCode, 201)

  const taken = await post(app, '/api/register', { ...TEST, email: 'TEST@gmail.com' })
  t.equal(taken.statusCode, 409)
  t.same(taken.json(), { status_code: 409, error: 'Conflict', description: 'An account with this email already exists' })
  const invalid = await post(app, '/api/register', { name: 'x', email: 'test@gmail', password: PASSWORD })
  t.equal(invalid.statusCode, 400)
  t.same(invalid.json(), { status_code: 400, error: 'Bad Request', description: 'email: must be a valid email address' })

  const wrong = await post(app, '/api/login', { email: 'test@gmail.com', password: 'not the password' })
  const unknown = await post(app, '/api/login', { email: 'nobody@gmail.com', password: 'not the password' })
  for (const response of [wrong, unknown]) {
    t.equal(response.statusCode, 401)
    t.same(response.json(), { status_code: 401, error: 'Bad Request', description: 'Invalid credentials' })
  }
  const anonymous = await app.inject({ url: '/api/user-info' })
  t.equal(anonymous.statusCode, 401)
  t.same(anonymous.json(), {
    status_code: 401, error: 'Authorization Required', description: 'Request does not contain an access token'
  })
})
