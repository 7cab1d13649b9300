import t from 'tap'
import { bearer, build, PASSWORD, post } from '../../helper.js'

const PROFILE = { COMPAT_PROFILE: 'simplejwt' }
const EXAMPLE = { username: 'example', email: 'example@mail.com', password: PASSWORD }
const TOKEN_NOT_VALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' }

t.test('the documented flow, request by request, with the trailing slashes the clients send', async t => {
  const app = await build(t, PROFILE)

  const register = await post(app, '/api/auth/register/', EXAMPLE)
  t.equal(register.statusCode, 201)
  t.same(register.json(), { message: 'User registered successfully', user: { username: 'example', email: 'example@mail.com' } })

  const login = await post(app, '/api/auth/login/', { username: 'example', password: PASSWORD })
  t.equal(login.statusCode, 200)
  const tokens = login.json()
  t.same(Object.keys(tokens), ['access', 'refresh'])

  const verify = await post(app, '/api/auth/token/verify/', { token: tokens.access })
  t.equal(verify.statusCode, 200)
  t.same(verify.json(), {})

  const refresh = await post(app, '/api/auth/token/refresh/', { refresh: tokens.refresh })
  t.equal(refresh.statusCode, 200)
  const pair = refresh.json()
  t.same(Object.keys(pair), ['access', 'refresh'])
  t.not(pair.refresh, tokens.refresh, 'the refresh token rotates')

  const logout = await post(app, '/api/auth/logout/', { refresh_token: pair.refresh }, bearer(pair.access))
  t.equal(logout.statusCode, 205)
  t.equal(logout.body, '')

  // Revocation is immediate for every route: the profile's and the service's own.
  const after = await post(app, '/api/auth/token/verify/', { token: pair.access })
  t.equal(after.statusCode, 401)
  t.same(after.json(), TOKEN_NOT_VALID)
  t.equal((await app.inject({ url: '/auth/me', headers: bearer(pair.access) })).statusCode, 401)
  const refreshAfter = await post(app, '/api/auth/token/refresh/', { refresh: pair.refresh })
  t.equal(refreshAfter.statusCode, 401)
  t.same(refreshAfter.json(), TOKEN_NOT_VALID)
})

t.test('the paths answer without their trailing slash too', async t => {
  const app = await build(t, PROFILE)
  t.equal((await post(app, '/api/auth/register', EXAMPLE)).statusCode, 201)
  t.equal((await post(app, '/api/auth/login', { username: 'example', password: PASSWORD })).statusCode, 200)
})

t.test('errors as Django REST framework and simplejwt gave them', async t => {
  const app = await build(t, PROFILE)
  t.equal((await post(app, '/api/auth/register/', EXAMPLE)).statusCode, 201)

  const missing = await post(app, '/api/auth/register/', { username: 'other', password: PASSWORD })
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { email: ['This field is required.'] })
  const short = await post(app, '/api/auth/register/', { ...EXAMPLE, username: 'other', email: 'o@mail.com', password: 'short' })
  t.same(short.json(), { password: ['must NOT have fewer than 12 characters'] })
  const email = await post(app, '/api/auth/register/', { ...EXAMPLE, username: 'other' })
  t.equal(email.statusCode, 400)
  t.same(email.json(), { email: ['user with this email already exists.'] })
  const username = await post(app, '/api/auth/register/', { ...EXAMPLE, email: 'other@mail.com' })
  t.equal(username.statusCode, 400)
  t.same(username.json(), { username: ['A user with that username already exists.'] })

  const wrong = await post(app, '/api/auth/login/', { username: 'example', password: 'not the password' })
  const unknown = await post(app, '/api/auth/login/', { username: 'nobody', password: 'not the password' })
  for (const response of [wrong, unknown]) {
    t.equal(response.statusCode, 401)
    t.same(response.json(), { detail: 'No active account found with the given credentials' })
  }

  const garbage = await post(app, '/api/auth/token/verify/', { token: 'not.a.token' })
  t.equal(garbage.statusCode, 401)
  t.same(garbage.json(), TOKEN_NOT_VALID)
  const { refresh } = (await post(app, '/api/auth/login/', { username: 'example', password: PASSWORD })).json()
  t.same((await post(app, '/api/auth/token/verify/', { token: refresh })).json(), TOKEN_NOT_VALID,
    'a refresh token is not an access token')
  t.same((await post(app, '/api/auth/token/refresh/', { refresh: 'unknown' })).json(), TOKEN_NOT_VALID)

  const anonymous = await post(app, '/api/auth/logout/', { refresh_token: refresh })
  t.equal(anonymous.statusCode, 401)
  t.same(anonymous.json(), { detail: 'Authentication credentials were not provided.' })
  const badBody = await post(app, '/api/auth/logout/', { refresh_token: 5 })
  t.equal(badBody.statusCode, 401, 'authentication comes before validation, as in DRF')
  t.same(badBody.json(), { detail: 'Authentication credentials were not provided.' })
  const invalid = await post(app, '/api/auth/logout/', {}, bearer('not.a.token'))
  t.same(invalid.json(), TOKEN_NOT_VALID)
  const json = await app.inject({ method: 'POST', url: '/api/auth/login/', payload: '{', headers: { 'content-type': 'application/json' } })
  t.equal(json.statusCode, 400)
  t.match(json.json(), { detail: String })
})

t.test('a logout with the Bearer token alone ends its session', async t => {
  const app = await build(t, PROFILE)
  await post(app, '/api/auth/register/', EXAMPLE)
  const tokens = (await post(app, '/api/auth/login/', { username: 'example', password: PASSWORD })).json()
  const other = (await post(app, '/api/auth/login/', { username: 'example', password: PASSWORD })).json()
  const logout = await app.inject({ method: 'POST', url: '/api/auth/logout/', headers: bearer(tokens.access) })
  t.equal(logout.statusCode, 205)
  t.equal((await post(app, '/api/auth/token/refresh/', { refresh: tokens.refresh })).statusCode, 401)
  t.equal((await post(app, '/api/auth/token/verify/', { token: other.access })).statusCode, 200, 'the other device stays')
})
