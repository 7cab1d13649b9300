import t from 'tap'
import { build, PASSWORD, post, register } from '../../helper.js'
import { query, sharedDatabase } from '../../helpers/database.js'

t.test('POST /auth/login with an email returns the user and a fresh session', async t => {
  const app = await build(t)
  const registered = await register(app, { username: 'lin' })
  const response = await post(app, '/auth/login', { email: registered.user.email, password: PASSWORD })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.strictSame(Object.keys(body).sort(), ['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user'])
  t.match(body, { user: registered.user, tokenType: 'Bearer', expiresIn: 900, accessToken: String, refreshToken: /^[\w-]{43}$/ })
  t.not(body.refreshToken, registered.refreshToken, 'each login is a session of its own')
  const claims = (await post(app, '/auth/token/verify', { token: body.accessToken })).json().payload
  const first = (await post(app, '/auth/token/verify', { token: registered.accessToken })).json().payload
  t.not(claims.sid, first.sid)
})

t.test('the email is trimmed and case-insensitive at login', async t => {
  const app = await build(t)
  await register(app, { email: 'Case@Example.com' })
  const response = await post(app, '/auth/login', { email: '  CASE@example.COM\t', password: PASSWORD })
  t.equal(response.statusCode, 200)
})

t.test('login by username is case-insensitive and NFKC-normalized', async t => {
  const app = await build(t)
  await register(app, { username: 'Turing' })
  for (const username of ['turing', 'TURING', 'Ｔｕｒｉｎｇ']) {
    const response = await post(app, '/auth/login', { username, password: PASSWORD })
    t.equal(response.statusCode, 200, username)
  }
})

t.test('POST /auth/signin is an alias of login', async t => {
  const app = await build(t)
  await register(app, { username: 'hopper' })
  const response = await post(app, '/auth/signin', { username: 'hopper', password: PASSWORD })
  t.equal(response.statusCode, 200)
  t.equal(response.json().user.username, 'hopper')
})

t.test('passwords are Unicode-normalized: composed and decomposed accents are one password', async t => {
  const app = await build(t)
  const composed = 'café crème brûlée!'
  const decomposed = composed.normalize('NFD')
  t.not(composed, decomposed)
  const { user } = await register(app, { password: decomposed })
  const response = await post(app, '/auth/login', { email: user.email, password: composed })
  t.equal(response.statusCode, 200)
})

t.test('a wrong password and an unknown account get byte-identical 401s', async t => {
  const app = await build(t)
  const { user } = await register(app, { username: 'known' })
  const attempts = [
    { email: user.email, password: 'wrong password here' },
    { email: 'nobody@example.com', password: 'wrong password here' },
    { username: 'known', password: 'wrong password here' },
    { username: 'nobody', password: 'wrong password here' }
  ]
  const bodies = new Set<string>()
  for (const attempt of attempts) {
    const response = await post(app, '/auth/login', attempt)
    t.equal(response.statusCode, 401)
    bodies.add(response.body)
  }
  t.equal(bodies.size, 1, 'one body for every failure')
  t.strictSame(JSON.parse([...bodies][0] as string), {
    statusCode: 401,
    code: 'INVALID_CREDENTIALS',
    error: 'Unauthorized',
    message: 'Invalid email, username or password'
  })
})

t.test('login needs a password and exactly one of email or username', async t => {
  const app = await build(t)
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['both identifiers', { email: 'a@example.com', username: 'abc', password: PASSWORD }, '/', /exactly one of email, username/],
    ['no identifier', { password: PASSWORD }, '/', /exactly one of email, username/],
    ['no password', { email: 'a@example.com' }, '/password', /is required/],
    ['empty password', { email: 'a@example.com', password: '' }, '/password', /fewer than 1/],
    ['password as a number', { email: 'a@example.com', password: 12345678901234 }, '/password', /must be a string/],
    ['password over 72 bytes', { email: 'a@example.com', password: 'é'.repeat(37) }, '/password', /72 bytes/],
    ['unknown property', { email: 'a@example.com', password: PASSWORD, remember: true }, '/remember', /not an allowed property/]
  ]
  for (const [name, payload, path, message] of cases) {
    const response = await post(app, '/auth/login', payload)
    t.equal(response.statusCode, 400, name)
    t.match(response.json(), { code: 'VALIDATION_ERROR', details: [{ path, message }] }, name)
  }
})

t.test('an unknown account still pays for a full bcrypt comparison', async t => {
  const app = await build(t)
  const calls: Array<string | undefined> = []
  const verify = app.passwords.verify.bind(app.passwords)
  app.passwords.verify = async (password, hash, admission) => {
    calls.push(hash)
    return verify(password, hash, admission)
  }
  const { user } = await register(app)
  await post(app, '/auth/login', { email: 'nobody@example.com', password: PASSWORD })
  await post(app, '/auth/login', { username: 'nobody', password: PASSWORD })
  await post(app, '/auth/login', { email: user.email, password: 'a wrong password' })
  t.equal(calls.length, 3, 'every attempt runs the comparison, known account or not')
  t.equal(calls[0], undefined, 'an unknown account is compared against the dummy hash')
  t.match(calls[2], /^\$2[aby]\$10\$/)
})

t.test('after BCRYPT_COST changes, an account moves to the new cost at its next login', async t => {
  const database = await sharedDatabase(t)
  const before = await build(t, database)
  const { user } = await register(before)
  await before.close()

  const after = await build(t, { ...database, BCRYPT_COST: '11' })
  const hashOf = async () => (await query(after)`SELECT password_hash AS hash FROM users WHERE id = ${user.id}`)[0]?.hash as string
  t.match(await hashOf(), /^\$2[aby]\$10\$/)
  t.equal((await post(after, '/auth/login', { email: user.email, password: PASSWORD })).statusCode, 200)
  t.match(await hashOf(), /^\$2[aby]\$11\$/, 'rehashed at the new cost')
  t.equal((await post(after, '/auth/login', { email: user.email, password: PASSWORD })).statusCode, 200, 'and the new hash works')
  t.equal((await post(after, '/auth/login', { email: user.email, password: 'a wrong password' })).statusCode, 401)
})
