import t from 'tap'
import { bearer, build, PASSWORD, post } from '../../helper.js'

const WEAK = 'password123456!'
const TOO_COMMON = /^This password is too common or too easy to guess \(.+\); choose/

/** Each profile's signup with a listed password, and the 400 its clients expect, in its own shape. */
const CASES: Array<[string, string, Record<string, unknown>, unknown]> = [
  ['flask', '/api/register', { name: 'test', email: 'test@gmail.com', password: WEAK },
    { status_code: 400, error: 'Bad Request', description: TOO_COMMON }],
  ['insighted', '/api/auth/register/', {
    username: 'newstudent',
    password: WEAK,
    password2: WEAK,
    email: 'student@example.com',
    first_name: 'First',
    last_name: 'Last',
    role: 'student'
  }, { status: 'error', message: TOO_COMMON }],
  ['nestjs', '/auth/signup', { email: 'john@example.com', username: 'johndoe', password: WEAK, name: 'John Doe' },
    { statusCode: 400, error: 'Bad Request', message: TOO_COMMON }],
  ['simplejwt', '/api/auth/register/', { username: 'example', email: 'example@mail.com', password: WEAK },
    { password: [TOO_COMMON] }],
  ['spring', '/auth/register', { email: 'user@example.com', name: 'Nama Lengkap', password: WEAK, confirmPassword: WEAK },
    { errors: TOO_COMMON }]
]

for (const [profile, url, body, expected] of CASES) {
  t.test(`${profile}: a listed password at signup is a 400 in the profile's shape`, async t => {
    const app = await build(t, { COMPAT_PROFILE: profile })
    const response = await post(app, url, body)
    t.equal(response.statusCode, 400)
    t.match(response.json(), expected)
  })
}

t.test('spring: a listed new password at PATCH /auth/password is a 400 in the profile\'s shape', async t => {
  const app = await build(t, { COMPAT_PROFILE: 'spring' })
  const user = { email: 'user@example.com', name: 'Nama Lengkap', password: PASSWORD, confirmPassword: PASSWORD }
  t.equal((await post(app, '/auth/register', user)).statusCode, 201)
  const token = (await post(app, '/auth/login', { email: user.email, password: PASSWORD })).json().data.token
  const response = await app.inject({
    method: 'PATCH',
    url: '/auth/password',
    payload: { currentPassword: PASSWORD, newPassword: WEAK, confirmNewPassword: WEAK },
    headers: bearer(token)
  })
  t.equal(response.statusCode, 400)
  t.match(response.json(), { errors: TOO_COMMON })
})
