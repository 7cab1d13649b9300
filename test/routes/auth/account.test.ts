import t from 'tap'
import { bearer, build, login, meStatus, PASSWORD, post, register } from '../../helper.js'

const NEW_PASSWORD = 'an entirely new passphrase'

function patch (app: Awaited<ReturnType<typeof build>>, url: string, payload: unknown, accessToken: string) {
  return app.inject({ method: 'PATCH', url, payload: payload as object, headers: bearer(accessToken) })
}

t.test('PATCH /auth/password changes the password and ends every other session', async t => {
  const app = await build(t)
  const phone = await register(app)
  const laptop = await login(app, phone.user.email)
  const response = await patch(app, '/auth/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmNewPassword: NEW_PASSWORD }, phone.accessToken)
  t.equal(response.statusCode, 200)
  t.match(response.json(), { message: /Password changed/ })

  t.equal(await meStatus(app, phone.accessToken), 200, 'the calling session keeps working')
  t.equal((await post(app, '/auth/refresh', { refreshToken: phone.refreshToken })).statusCode, 200)
  t.equal(await meStatus(app, laptop.accessToken), 401, 'the other device is signed out')
  t.equal((await post(app, '/auth/refresh', { refreshToken: laptop.refreshToken })).statusCode, 401)

  t.equal((await post(app, '/auth/login', { email: phone.user.email, password: PASSWORD })).statusCode, 401, 'the old password no longer works')
  t.equal((await post(app, '/auth/login', { email: phone.user.email, password: NEW_PASSWORD })).statusCode, 200)
})

t.test('a wrong current password is a 401 and changes nothing', async t => {
  const app = await build(t)
  const phone = await register(app)
  const laptop = await login(app, phone.user.email)
  const response = await patch(app, '/auth/password', { currentPassword: 'not the password', newPassword: NEW_PASSWORD }, phone.accessToken)
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, 'INVALID_CREDENTIALS')
  t.equal(await meStatus(app, laptop.accessToken), 200)
  t.equal((await post(app, '/auth/login', { email: phone.user.email, password: PASSWORD })).statusCode, 200)
})

t.test('the new password follows the password rules', async t => {
  const app = await build(t)
  const { accessToken } = await register(app)
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, confirmNewPassword: NEW_PASSWORD + '!' }, '/confirmNewPassword', /must equal newPassword/],
    [{ currentPassword: PASSWORD, newPassword: 'short' }, '/newPassword', /fewer than 12/],
    [{ currentPassword: PASSWORD, newPassword: '€'.repeat(25) }, '/newPassword', /72 bytes/],
    [{ currentPassword: PASSWORD }, '/newPassword', /is required/],
    [{ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, role: 'admin' }, '/role', /not an allowed property/]
  ]
  for (const [payload, path, message] of cases) {
    const response = await patch(app, '/auth/password', payload, accessToken)
    t.equal(response.statusCode, 400, path)
    t.match(response.json(), { code: 'VALIDATION_ERROR', details: [{ path, message }] }, path)
  }
  const anonymous = await app.inject({ method: 'PATCH', url: '/auth/password', payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } })
  t.equal(anonymous.statusCode, 401)
})

t.test('the password change sees its three passwords after NFC normalization, as login does', async t => {
  const app = await build(t)
  const composed = 'crème brûlée à la carte'
  const { user, accessToken } = await register(app, { password: composed })
  const renewed = 'une toute nouvelle crème'
  const response = await patch(app, '/auth/password', {
    currentPassword: composed.normalize('NFD'),
    newPassword: renewed.normalize('NFD'),
    confirmNewPassword: renewed
  }, accessToken)
  t.equal(response.statusCode, 200, 'a decomposed current password matches, and a decomposed confirmation its composed twin')
  t.equal((await post(app, '/auth/login', { email: user.email, password: renewed })).statusCode, 200, 'the new password was stored normalized')

  // 16 code points as sent, 8 after NFC: too short, which only the normalized text shows.
  const short = 'é'.repeat(8).normalize('NFD')
  t.equal(short.length, 16)
  const refused = await patch(app, '/auth/password', { currentPassword: renewed, newPassword: short }, accessToken)
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { details: [{ path: '/newPassword', message: /fewer than 12/ }] })
})

t.test('PATCH /auth/me updates the name, username and metadata', async t => {
  const app = await build(t)
  const { user, accessToken } = await register(app, { name: 'Old Name' })
  const response = await patch(app, '/auth/me', { name: '  New Name ', username: 'Fresh_Name', metadata: { team: 'core' } }, accessToken)
  t.equal(response.statusCode, 200)
  const updated = response.json()
  t.match(updated, { id: user.id, email: user.email, role: 'user', name: 'New Name', username: 'Fresh_Name', metadata: { team: 'core' } })
  t.ok(Date.parse(updated.updatedAt) >= Date.parse(updated.createdAt))
  t.strictSame((await app.inject({ url: '/auth/me', headers: bearer(accessToken) })).json(), { ...updated, amr: ['pwd'] }, 'stored')

  const cleared = await patch(app, '/auth/me', { name: null, username: null }, accessToken)
  t.match(cleared.json(), { name: null, username: null, metadata: { team: 'core' } })
})

t.test('PATCH /auth/me cannot take a taken username, the email or the role', async t => {
  const app = await build(t)
  await register(app, { username: 'taken_name' })
  const { accessToken } = await register(app)
  const taken = await patch(app, '/auth/me', { username: 'TAKEN_NAME' }, accessToken)
  t.equal(taken.statusCode, 409)
  t.equal(taken.json().code, 'USERNAME_TAKEN')
  for (const payload of [{ email: 'new@example.com' }, { role: 'admin' }]) {
    const response = await patch(app, '/auth/me', payload, accessToken)
    t.equal(response.statusCode, 400)
    t.equal(response.json().details[0].message, 'is not an allowed property')
  }
  const empty = await patch(app, '/auth/me', {}, accessToken)
  t.equal(empty.statusCode, 400, 'an empty change is refused')
  const blank = await patch(app, '/auth/me', { name: '   ' }, accessToken)
  t.equal(blank.statusCode, 400)
})
