import t from 'tap'
import { bearer, build, PASSWORD, post } from '../../helper.js'

const PROFILE = { COMPAT_PROFILE: 'insighted' }
const UUID = /^[0-9a-f-]{36}$/
const STUDENT = {
  username: 'newstudent',
  password: PASSWORD,
  password2: PASSWORD,
  email: 'student@example.com',
  first_name: 'First',
  last_name: 'Last',
  role: 'student'
}
const INSTRUCTOR = { ...STUDENT, username: 'newinstructor', email: 'instructor@example.com', role: 'instructor', keahlian: 5 }

t.test('the documented flow, request by request: register, login, refresh, logout', async t => {
  const app = await build(t, PROFILE)

  const student = await post(app, '/api/auth/register/', STUDENT)
  t.equal(student.statusCode, 201)
  t.same(Object.keys(student.json()), ['status', 'message', 'user', 'tokens'])
  t.match(student.json(), {
    status: 'success',
    message: 'Student registered successfully',
    user: { id: UUID, username: 'newstudent', email: 'student@example.com', role: 'student' },
    tokens: { access: String, refresh: String }
  })
  const instructor = await post(app, '/api/auth/register/', INSTRUCTOR)
  t.equal(instructor.statusCode, 201)
  t.equal(instructor.json().message, 'Instructor registered successfully')
  const me = await app.inject({ url: '/auth/me', headers: bearer(instructor.json().tokens.access) })
  t.match(me.json(), {
    name: 'First Last', role: 'instructor', metadata: { first_name: 'First', last_name: 'Last', keahlian: 5 }
  }, 'the LMS fields are kept on the account')

  const login = await post(app, '/api/auth/login/', { username: 'newstudent', password: PASSWORD })
  t.equal(login.statusCode, 200)
  t.same(login.json().user, { id: student.json().user.id, username: 'newstudent', role: 'student' })
  t.same(Object.keys(login.json()), ['status', 'user', 'tokens'])
  t.equal(login.json().status, 'success')

  const refresh = await post(app, '/api/auth/token/refresh/', { refresh: login.json().tokens.refresh })
  t.equal(refresh.statusCode, 200)
  t.same(Object.keys(refresh.json()), ['status', 'tokens'])
  const tokens = refresh.json().tokens
  t.not(tokens.refresh, login.json().tokens.refresh, 'the refresh token rotates')

  const logout = await post(app, '/api/auth/logout/', { refresh: tokens.refresh }, bearer(tokens.access))
  t.equal(logout.statusCode, 200)
  t.same(logout.json(), { status: 'success', message: 'User logged out successfully' })
  t.equal((await app.inject({ url: '/auth/me', headers: bearer(tokens.access) })).statusCode, 401, 'ended at once')
  const dead = await post(app, '/api/auth/token/refresh/', { refresh: tokens.refresh })
  t.equal(dead.statusCode, 401)
  t.same(dead.json(), { status: 'error', message: 'Token is invalid or expired' })
})

t.test('blank names, as Django allows them, make no name', async t => {
  const app = await build(t, PROFILE)
  const blank = await post(app, '/api/auth/register/', { ...STUDENT, first_name: '', last_name: ' Last ' })
  t.equal(blank.statusCode, 201)
  const me = await app.inject({ url: '/auth/me', headers: bearer(blank.json().tokens.access) })
  t.match(me.json(), { name: 'Last', metadata: { last_name: 'Last' } })
  t.notOk('first_name' in me.json().metadata)
})

t.test('errors as { status: "error", message } with the documented statuses', async t => {
  const app = await build(t, PROFILE)
  t.equal((await post(app, '/api/auth/register/', STUDENT)).statusCode, 201)

  const admin = await post(app, '/api/auth/register/', { ...STUDENT, username: 'root', email: 'root@example.com', role: 'admin' })
  t.equal(admin.statusCode, 403)
  t.same(admin.json(), {
    status: 'error', message: 'The role "admin" cannot be chosen at signup; allowed roles: student, instructor'
  })
  const teacher = await post(app, '/api/auth/register/', { ...STUDENT, username: 'teach', email: 't@example.com', role: 'teacher' })
  t.equal(teacher.statusCode, 400)
  t.same(teacher.json(), { status: 'error', message: 'role: is not a valid choice' })
  const long = await post(app, '/api/auth/register/', {
    ...STUDENT, username: 'long', email: 'l@example.com', first_name: 'F'.repeat(60), last_name: 'L'.repeat(60)
  })
  t.equal(long.statusCode, 400)
  t.same(long.json(), { status: 'error', message: 'name: must NOT have more than 100 characters' })
  for (const keahlian of ['a\u0000b', 'a\ud800b']) {
    const unstorable = await post(app, '/api/auth/register/', { ...STUDENT, username: 'odd', email: 'odd@example.com', keahlian })
    t.equal(unstorable.statusCode, 400, 'a value that cannot be stored is refused, on either engine')
    t.equal(unstorable.json().status, 'error')
  }
  const mismatch = await post(app, '/api/auth/register/', { ...STUDENT, username: 'other', email: 'o@example.com', password2: 'another thing' })
  t.equal(mismatch.statusCode, 400)
  t.same(mismatch.json(), { status: 'error', message: 'Password fields didn\'t match.' })
  const taken = await post(app, '/api/auth/register/', { ...STUDENT, email: 'other@example.com' })
  t.equal(taken.statusCode, 400)
  t.same(taken.json(), { status: 'error', message: 'A user with that username already exists.' })
  const missing = await post(app, '/api/auth/register/', { username: 'x1x', password: PASSWORD, password2: PASSWORD, email: 'x@example.com' })
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { status: 'error', message: 'role: is required' })

  const wrong = await post(app, '/api/auth/login/', { username: 'newstudent', password: 'not the password' })
  const unknown = await post(app, '/api/auth/login/', { username: 'nobody', password: 'not the password' })
  for (const response of [wrong, unknown]) {
    t.equal(response.statusCode, 401)
    t.same(response.json(), { status: 'error', message: 'Invalid credentials' })
  }
  const anonymous = await post(app, '/api/auth/logout/', {})
  t.equal(anonymous.statusCode, 401)
  t.same(anonymous.json(), { status: 'error', message: 'Authentication credentials were not provided.' })
})
