import t from 'tap'
import { bearer, build, PASSWORD, post } from '../../helper.js'

const PROFILE = { COMPAT_PROFILE: 'spring' }
const USER = { email: 'user@example.com', name: 'Nama Lengkap', password: PASSWORD, confirmPassword: PASSWORD }
const NEW_PASSWORD = 'a new and longer passphrase'

function patch (app: Awaited<ReturnType<typeof build>>, token: string, payload: unknown) {
  return app.inject({ method: 'PATCH', url: '/auth/password', payload: payload as object, headers: bearer(token) })
}

t.test('the documented flow, request by request: register, login, change the password, logout', async t => {
  const app = await build(t, PROFILE)

  const register = await post(app, '/auth/register', USER)
  t.equal(register.statusCode, 201)
  t.same(register.json(), { data: 'OK' })

  const login = await post(app, '/auth/login', { email: 'user@example.com', password: PASSWORD })
  t.equal(login.statusCode, 200)
  const body = login.json()
  t.same(Object.keys(body), ['data'])
  t.same(Object.keys(body.data), ['token'])
  const token = body.data.token as string
  const me = await app.inject({ url: '/native/auth/me', headers: bearer(token) })
  t.match(me.json(), { email: 'user@example.com', name: 'Nama Lengkap', role: 'user' }, 'the token is the service\'s own')

  const other = (await post(app, '/auth/login', { email: 'user@example.com', password: PASSWORD })).json().data.token
  const changed = await patch(app, token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmNewPassword: NEW_PASSWORD })
  t.equal(changed.statusCode, 200)
  t.same(changed.json(), { data: 'OK' })
  t.equal((await app.inject({ url: '/native/auth/me', headers: bearer(other) })).statusCode, 401,
    'the other session ended with the change')
  t.equal((await post(app, '/auth/login', { email: 'user@example.com', password: PASSWORD })).statusCode, 401)
  t.equal((await post(app, '/auth/login', { email: 'user@example.com', password: NEW_PASSWORD })).statusCode, 200)

  const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(token) })
  t.equal(logout.statusCode, 200)
  t.same(logout.json(), { data: 'OK' })
  for (const url of ['/native/auth/me', '/native/auth/sessions']) {
    t.equal((await app.inject({ url, headers: bearer(token) })).statusCode, 401, `${url}: the logout is immediate`)
  }
  const again = await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(token) })
  t.equal(again.statusCode, 401)
  t.same(again.json(), { errors: 'Unauthorized' })
})

t.test('errors as the Spring API gave them: { errors } with its own messages and statuses', async t => {
  const app = await build(t, PROFILE)
  t.equal((await post(app, '/auth/register', USER)).statusCode, 201)

  const taken = await post(app, '/auth/register', { ...USER, email: 'USER@example.com' })
  t.equal(taken.statusCode, 400)
  t.same(taken.json(), { errors: 'Email sudah terdaftar' })
  const mismatch = await post(app, '/auth/register', { ...USER, email: 'other@example.com', confirmPassword: 'something else entirely' })
  t.equal(mismatch.statusCode, 400)
  t.same(mismatch.json(), { errors: 'Password tidak cocok' })
  const invalid = await post(app, '/auth/register', { email: 'nope', name: 'A', password: PASSWORD, confirmPassword: PASSWORD })
  t.equal(invalid.statusCode, 400)
  t.same(invalid.json(), { errors: 'email: must be a valid email address' })

  const wrong = await post(app, '/auth/login', { email: 'user@example.com', password: 'not the password' })
  const unknown = await post(app, '/auth/login', { email: 'nobody@example.com', password: 'not the password' })
  for (const response of [wrong, unknown]) {
    t.equal(response.statusCode, 401)
    t.same(response.json(), { errors: 'Username atau password tidak valid' })
  }

  const token = (await post(app, '/auth/login', { email: 'user@example.com', password: PASSWORD })).json().data.token
  const differ = await patch(app, token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmNewPassword: 'no' })
  t.equal(differ.statusCode, 400)
  t.same(differ.json(), { errors: 'Password tidak cocok' })
  const current = await patch(app, token, { currentPassword: 'not the password', newPassword: NEW_PASSWORD, confirmNewPassword: NEW_PASSWORD })
  t.equal(current.statusCode, 401)
  t.same(current.json(), { errors: 'Username atau password tidak valid' })
  const anonymous = await app.inject({ method: 'PATCH', url: '/auth/password', payload: {} })
  t.equal(anonymous.statusCode, 401, 'the token is checked before the body, as Spring Security does')
  t.same(anonymous.json(), { errors: 'Unauthorized' })
  const notJson = await app.inject({ method: 'POST', url: '/auth/login', payload: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(notJson.statusCode, 415)
  t.match(notJson.json(), { errors: String })
})

t.test('a login with a long-lived token, as a client without refresh tokens needs', async t => {
  const app = await build(t, { ...PROFILE, ACCESS_TOKEN_TTL: '1d' })
  await post(app, '/auth/register', USER)
  const token = (await post(app, '/auth/login', { email: 'user@example.com', password: PASSWORD })).json().data.token
  const verified = await post(app, '/native/auth/token/verify', { token })
  t.equal(verified.json().payload.exp - verified.json().payload.iat, 86400)
})
