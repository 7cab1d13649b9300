import t from 'tap'
import { build, listen, newUser, PASSWORD, post, register } from '../../helper.js'
import { query, sharedDatabase } from '../../helpers/database.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

t.test('POST /auth/register creates an account and signs it in', async t => {
  const app = await build(t)
  const response = await post(app, '/auth/register', {
    email: 'ada@example.com',
    password: PASSWORD,
    confirmPassword: PASSWORD,
    username: 'ada_l',
    name: 'Ada Lovelace',
    metadata: { expertise: 'databases', years: 5, tags: ['sql', 'graphs'], mentor: null }
  })
  t.equal(response.statusCode, 201)
  const body = response.json()
  t.strictSame(Object.keys(body).sort(), ['accessToken', 'expiresIn', 'message', 'refreshToken', 'tokenType', 'user'])
  t.match(body, {
    message: 'User registered successfully',
    tokenType: 'Bearer',
    expiresIn: 900,
    accessToken: /^[\w-]+\.[\w-]+\.[\w-]+$/,
    refreshToken: /^[\w-]{43}$/
  })
  t.strictSame(Object.keys(body.user).sort(), ['createdAt', 'email', 'emailVerified', 'id', 'metadata', 'mfaEnabled', 'name', 'role', 'updatedAt', 'username'])
  t.match(body.user, {
    id: UUID,
    email: 'ada@example.com',
    username: 'ada_l',
    name: 'Ada Lovelace',
    role: 'user',
    metadata: { expertise: 'databases', years: 5, tags: ['sql', 'graphs'], mentor: null },
    createdAt: ISO_DATE,
    updatedAt: ISO_DATE
  })

  const me = await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${body.accessToken}` } })
  t.equal(me.statusCode, 200, 'the returned access token works at once')
  t.strictSame(me.json(), { ...body.user, amr: ['pwd'] })
})

t.test('POST /auth/signup is an alias of register', async t => {
  const app = await build(t)
  const response = await post(app, '/auth/signup', newUser({ name: 'Grace' }))
  t.equal(response.statusCode, 201)
  t.match(response.json(), { message: 'User registered successfully', user: { name: 'Grace', username: null } })
})

t.test('a trailing slash, as the Django clients send it, reaches the same route', async t => {
  const app = await build(t)
  const response = await post(app, '/auth/register/', newUser())
  t.equal(response.statusCode, 201)
})

t.test('the stored user never includes a password hash', async t => {
  const app = await build(t)
  const response = await post(app, '/auth/register', newUser())
  t.notMatch(response.body, /\$2[aby]\$/)
  t.notMatch(response.body, /password/i)
})

t.test('addresses of the WHATWG grammar register; an address only the older rule took can still log in', async t => {
  const app = await build(t)
  for (const email of ["o'brien+news@mail.example.ie", 'a.b.c@x-y.example.com', '1@2.io']) {
    t.equal((await post(app, '/auth/register', newUser({ email }))).statusCode, 201, email)
  }
  const login = await post(app, '/auth/login', { email: 'x.@-example.com', password: PASSWORD })
  t.equal(login.statusCode, 401, 'login is not refused as malformed: an account made before may have such an address')
})

t.test('emails are trimmed and compared case-insensitively', async t => {
  const app = await build(t)
  const first = await post(app, '/auth/register', newUser({ email: '  Mixed.Case@Example.COM ' }))
  t.equal(first.statusCode, 201)
  t.equal(first.json().user.email, 'Mixed.Case@Example.COM', 'kept as typed, without the spaces')

  const again = await post(app, '/auth/register', newUser({ email: 'mixed.case@example.com' }))
  t.equal(again.statusCode, 409)
  t.match(again.json(), { statusCode: 409, code: 'EMAIL_TAKEN', error: 'Conflict', message: String })
})

t.test('usernames are compared case-insensitively after NFKC normalization', async t => {
  const app = await build(t)
  t.equal((await post(app, '/auth/register', newUser({ username: 'Ada_L' }))).statusCode, 201)

  for (const username of ['ada_l', 'ADA_L', 'Ａｄａ_Ｌ']) {
    const response = await post(app, '/auth/register', newUser({ username }))
    t.equal(response.statusCode, 409, username)
    t.equal(response.json().code, 'USERNAME_TAKEN', username)
  }

  const fullWidth = await post(app, '/auth/register', newUser({ username: 'ｇｒａｃｅ' }))
  t.equal(fullWidth.statusCode, 201)
  t.equal(fullWidth.json().user.username, 'grace', 'stored in its normalized form')
})

t.test('usernames that differ only in case are one name, whatever the script', async t => {
  const app = await build(t)
  t.equal((await post(app, '/auth/register', newUser({ username: 'σοφίας' }))).statusCode, 201)
  t.equal((await post(app, '/auth/register', newUser({ username: 'straße' }))).statusCode, 201)
  for (const username of ['ΣΟΦΊΑΣ', 'σοφίασ', 'STRASSE', 'strasse', 'STRAẞE']) {
    const response = await post(app, '/auth/register', newUser({ username }))
    t.equal(response.statusCode, 409, username)
  }
})

t.test('a username that looks like a taken one, or like nothing, is refused', async t => {
  const app = await build(t)
  t.equal((await post(app, '/auth/register', newUser({ username: 'mallory' }))).statusCode, 201)
  t.equal((await post(app, '/auth/register', newUser({ username: 'coco' }))).statusCode, 201)
  const cases: Array<[string, string, number, RegExp]> = [
    ['a combining grapheme joiner', 'mallory\u034f', 400, /invisible/],
    ['a variation selector', 'mallory\ufe0f', 400, /invisible/],
    ['a zero-width joiner', 'mal\u200dlory', 400, /letters, digits|invisible/],
    ['Hangul fillers', '\u3164\u3164\u3164', 400, /invisible/],
    ['a Cyrillic а among Latin letters', 'm\u0430llory', 400, /mix the letters of Latin, Cyrillic/],
    ['a Greek ο among Latin letters', 'mall\u03bfry', 400, /mix the letters of Latin, Greek/],
    ['an all-Cyrillic look-alike of a taken name', '\u0441\u043e\u0441\u043e', 409, /USERNAME_TAKEN|already taken/]
  ]
  for (const [name, username, status, message] of cases) {
    const response = await post(app, '/auth/register', newUser({ username }))
    t.equal(response.statusCode, status, name)
    t.match(response.body, message, name)
  }
  for (const username of ['Δημήτρης', 'дмитрий', '山田たろう', 'Tanaka山田', '김민준', 'ali_2024', 'ⲙⲁⲣⲓⲁ']) {
    t.equal((await post(app, '/auth/register', newUser({ username }))).statusCode, 201, `letters of one script, or a safe mix: ${username}`)
  }
  const { accessToken } = await register(app)
  const change = await app.inject({
    method: 'PATCH', url: '/auth/me', headers: { authorization: `Bearer ${accessToken}` }, payload: { username: 'MALLORY\u034f' }
  })
  t.equal(change.statusCode, 400, 'the same rules when a username is changed')
  const taken = await app.inject({
    method: 'PATCH', url: '/auth/me', headers: { authorization: `Bearer ${accessToken}` }, payload: { username: '\u0421\u041e\u0421\u041e' }
  })
  t.equal(taken.statusCode, 409, 'and a look-alike of a taken name is taken')
})

t.test('usernames in scripts with combining marks are accepted', async t => {
  const app = await build(t)
  for (const username of ['राम_1', 'สมชาย', 'José']) {
    const response = await post(app, '/auth/register', newUser({ username }))
    t.equal(response.statusCode, 201, username)
  }
  const leadingMark = await post(app, '/auth/register', newUser({ username: '\u0301abc' }))
  t.equal(leadingMark.statusCode, 400, 'but not a mark with nothing to combine with')
})

t.test('a username that breaks the rule only after normalization is refused', async t => {
  const app = await build(t)
  // U+2474 PARENTHESIZED DIGIT ONE is a number (\p{No}); NFKC turns it into "(1)".
  const response = await post(app, '/auth/register', newUser({ username: 'ab\u2474' }))
  t.equal(response.statusCode, 400)
  t.match(response.json(), { code: 'VALIDATION_ERROR', details: [{ path: '/username', message: /normalization/ }] })
})

t.test('passwords are measured and compared after NFC normalization', async t => {
  const app = await build(t)
  const composed = 'crème brûlée à la carte'
  const matching = await post(app, '/auth/register', newUser({ password: composed, confirmPassword: composed.normalize('NFD') }))
  t.equal(matching.statusCode, 201, 'a decomposed confirmation matches a composed password')

  // 12 code points as sent, 4 after NFC: too short.
  const short = 'u\u0308\u0304'.repeat(4)
  t.equal(short.length, 12)
  for (const url of ['/auth/register', '/auth/signup']) {
    const response = await post(app, url, newUser({ password: short }))
    t.equal(response.statusCode, 400, url)
    t.match(response.json(), { details: [{ path: '/password', message: /fewer than 12/ }] }, url)
  }
})

t.test('confirmPassword must equal password when present', async t => {
  const app = await build(t)
  const response = await post(app, '/auth/register', newUser({ confirmPassword: PASSWORD + '!' }))
  t.equal(response.statusCode, 400)
  t.match(response.json(), { code: 'VALIDATION_ERROR', details: [{ path: '/confirmPassword', message: 'must equal password' }] })
})

t.test('roles: the first of SIGNUP_ROLES by default, others from the list, never admin', async t => {
  const app = await build(t, { SIGNUP_ROLES: 'student,instructor' })

  const byDefault = await post(app, '/auth/register', newUser())
  t.equal(byDefault.json().user.role, 'student')

  const instructor = await post(app, '/auth/register', newUser({ role: 'instructor', metadata: { expertise: 5 } }))
  t.equal(instructor.statusCode, 201)
  t.match(instructor.json().user, { role: 'instructor', metadata: { expertise: 5 } })

  for (const role of ['admin', 'user', 'teacher']) {
    const response = await post(app, '/auth/register', newUser({ role }))
    t.equal(response.statusCode, 403, role)
    t.match(response.json(), { statusCode: 403, code: 'ROLE_NOT_ALLOWED', error: 'Forbidden', message: /student, instructor/ }, role)
  }
})

t.test('the role claim of the access token is the account role', async t => {
  const app = await build(t, { SIGNUP_ROLES: 'student,instructor' })
  const { accessToken } = await register(app, { role: 'instructor' })
  const verify = await post(app, '/auth/token/verify', { token: accessToken })
  t.equal(verify.json().payload.role, 'instructor')
})

t.test('invalid bodies are refused with a 400 naming each problem', async t => {
  const app = await build(t)
  const euro = '€'.repeat(25) // 25 characters but 75 bytes in UTF-8
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['missing email', { password: PASSWORD }, '/email', /is required/],
    ['missing password', { email: 'a@example.com' }, '/password', /is required/],
    ['malformed email', newUser({ email: 'not-an-email' }), '/email', /valid email/],
    ['email with a leading dot', newUser({ email: '.x@example.com' }), '/email', /valid email/],
    ['email with a trailing dot before the @', newUser({ email: 'x.@example.com' }), '/email', /valid email/],
    ['email with a double dot', newUser({ email: 'x..y@example.com' }), '/email', /valid email/],
    ['email domain beginning with a hyphen', newUser({ email: 'x@-example.com' }), '/email', /valid email/],
    ['email domain label ending with a hyphen', newUser({ email: 'x@example-.com' }), '/email', /valid email/],
    ['email domain with an underscore', newUser({ email: 'x@exa_mple.com' }), '/email', /valid email/],
    ['email too long', newUser({ email: 'a'.repeat(250) + '@example.com' }), '/email', /more than 254/],
    ['short password', newUser({ password: 'short' }), '/password', /fewer than 12/],
    ['password over 72 bytes', newUser({ password: euro }), '/password', /at most 72 bytes.*never truncated/],
    ['password over 72 characters', newUser({ password: 'a'.repeat(73) }), '/password', /more than 72/],
    ['password as a number', newUser({ password: 123456789012345 }), '/password', /must be a string/],
    ['email as a boolean', newUser({ email: true }), '/email', /must be a string/],
    ['username too short', newUser({ username: 'ab' }), '/username', /fewer than 3/],
    ['username with a space', newUser({ username: 'ada l' }), '/username', /letters, digits/],
    ['username too long', newUser({ username: 'a'.repeat(33) }), '/username', /more than 32/],
    ['name with a control character', newUser({ name: 'Ada\u0007' }), '/name', /control characters/],
    ['name with an unpaired surrogate', newUser({ name: 'a\ud800'.repeat(40) }), '/name', /unpaired surrogates/],
    ['password with an unpaired surrogate', newUser({ password: 'correct horse \udc00' }), '/password', /well-formed Unicode/],
    ['blank name', newUser({ name: '   ' }), '/name', /blank/],
    ['unknown property', newUser({ isAdmin: true }), '/isAdmin', /not an allowed property/],
    ['role with capitals', newUser({ role: 'Admin' }), '/role', /lowercase/],
    ['nested metadata object', newUser({ metadata: { a: { b: 1 } } }), '/metadata/a', /^must be a string \(at most 500 characters\), number, boolean, null, or a list of up to 20 of these$/],
    ['metadata string too long', newUser({ metadata: { a: 'x'.repeat(501) } }), '/metadata/a', /must be a string \(at most 500/],
    ['metadata with an unpaired surrogate', newUser({ metadata: { a: 'x\ud800' } }), '/metadata/a', /must be a string/],
    ['metadata with a NUL character, which no engine keeps alike', newUser({ metadata: { a: 'x\u0000y' } }), '/metadata/a', /must be a string/],
    ['metadata list with a NUL character', newUser({ metadata: { a: ['ok', '\u0000'] } }), '/metadata/a', /must be a string/],
    ['metadata with a bad key', newUser({ metadata: { 'a b': 1 } }), '/metadata/a b', /not an allowed property/],
    ['metadata as an array', newUser({ metadata: [1] }), '/metadata', /must be an object/],
    ['too many metadata keys', newUser({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])) }), '/metadata', /more than 20/]
  ]
  for (const [name, payload, path, message] of cases) {
    const response = await post(app, '/auth/register', payload)
    t.equal(response.statusCode, 400, name)
    const body = response.json()
    t.match(body, { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: String }, name)
    t.equal(body.details[0].path, path, name)
    t.match(body.details[0].message, message, name)
  }
})

t.test('a password of exactly 72 bytes is accepted and checked in full', async t => {
  const app = await build(t)
  // 24 currency signs of three bytes each, all different: one sign repeated would be refused as too easy to guess.
  const password = Array.from({ length: 24 }, (_, i) => String.fromCodePoint(0x20a0 + i)).join('')
  const { user } = await register(app, { password })
  t.equal((await post(app, '/auth/login', { email: user.email, password })).statusCode, 200)
  const almost = password.slice(0, 23) + 'x'
  t.equal((await post(app, '/auth/login', { email: user.email, password: almost })).statusCode, 401)
})

t.test('prototype-poisoning keys are refused', async t => {
  const app = await build(t)
  for (const payload of [
    '{"email":"p@example.com","password":"correct horse battery staple","__proto__":{"role":"admin"}}',
    '{"email":"p@example.com","password":"correct horse battery staple","metadata":{"constructor":{"prototype":{"role":"admin"}}}}'
  ]) {
    const response = await app.inject({ method: 'POST', url: '/auth/register', payload, headers: { 'content-type': 'application/json' } })
    t.equal(response.statusCode, 400)
    t.match(response.json(), { statusCode: 400, code: String, error: 'Bad Request' })
  }
  const login = await post(app, '/auth/login', { email: 'p@example.com', password: PASSWORD })
  t.equal(login.statusCode, 401, 'no account was created')
})

t.test('twenty simultaneous registrations of one email give one 201 and nineteen 409s', async t => {
  const app = await build(t)
  const url = await listen(app)
  const body = JSON.stringify(newUser({ email: 'race@example.com' }))
  const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body
  })))
  const statuses = responses.map(response => response.status).sort()
  t.strictSame(statuses, [201, ...Array(19).fill(409)])
  const codes = await Promise.all(responses.filter(response => response.status === 409).map(async response => (await response.json()).code))
  t.ok(codes.every(code => code === 'EMAIL_TAKEN'))
})

t.test('simultaneous registrations of one username give one account', async t => {
  const app = await build(t)
  const url = await listen(app)
  const responses = await Promise.all(Array.from({ length: 10 }, () => fetch(`${url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(newUser({ username: 'same_name' }))
  })))
  const statuses = responses.map(response => response.status).sort()
  t.strictSame(statuses, [201, ...Array(9).fill(409)])
})

t.test('usernames stored before look-alikes were compared get their skeleton at start-up', async t => {
  const database = await sharedDatabase(t)
  const before = await build(t, database)
  await post(before, '/auth/register', newUser({ username: 'coco' }))
  const { user } = await register(before, { username: 'trudy' })
  // As an older version left them: no skeletons, and two names that look alike.
  await query(before)`UPDATE users SET username = 'сосо', username_key = 'СОСО' WHERE id = ${user.id}`
  await query(before)`UPDATE users SET username_skeleton = NULL`
  await before.close()

  const after = await build(t, database)
  const [row] = await query(after)`SELECT count(*) AS n FROM users WHERE username_skeleton IS NOT NULL`
  t.equal(Number(row?.n), 1, 'one of the two look-alikes gets the skeleton; the service starts')
  const [kept] = await query(after)`SELECT username FROM users WHERE username_skeleton IS NOT NULL`
  // Latin coco and Cyrillic сосо stand; a Cyrillic or Latin spelling of the kept one with other capitals is taken.
  const imitation = await post(after, '/auth/register', newUser({ username: (kept?.username as string).toUpperCase() }))
  t.equal(imitation.statusCode, 409, 'the kept name is taken, capitals aside')
  const other = kept?.username === 'coco' ? 'СОСО' : 'COCO'
  t.equal((await post(after, '/auth/register', newUser({ username: other }))).statusCode, 409,
    'and so is the other look-alike, by its own key')
  const coptic = await post(after, '/auth/register', newUser({ username: 'ⲥⲟⲥⲟ' }))
  t.equal(coptic.statusCode, 409, 'a third look-alike, in Coptic, is taken by the skeleton given at start-up')
})
