import { createHash } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { bearer, build, PASSWORD, post, register } from '../../helper.js'
import { query } from '../../helpers/database.js'
import type { App } from '../../helpers/types.js'

/** The account whose details the context cases are built from. */
const GRACE = { email: 'grace.hopper@example.com', username: 'amazing_grace', name: 'Grace Müller' }

/** Refused whatever the account; the message names why. */
const LISTED: Array<[string, RegExp]> = [
  ['qwerty123456', /in a list of passwords attackers try first/],
  ['QWERTY123456', /in a list/],
  ['1qaz2wsx3edc', /in a list/],
  ['trustno1!!!!!!', /in a list/],
  ['password123456!', /common password with only digits or symbols around it/],
  ['PassWord2024!!', /digits or symbols around it/],
  ['!!iloveyou2024', /digits or symbols around it/],
  ['i love you 2024!!', /digits or symbols around it/],
  ['aaaaaaaaaaaaaa', /repeats a few characters/],
  ['monkey1monkey1', /repeats a few characters/],
  ['Auth12345678!', /built from the name of this service/]
]

/** Refused for GRACE: made of her address, username or name, with only digits or symbols around. */
const CONTEXT: Array<[string, RegExp]> = [
  ['grace.hopper1987!', /built from your email address/],
  ['!!GraceHopper2024', /built from your email address/],
  ['Amazing_Grace99!', /built from your username/],
  ['Müller1987!!!', /built from your name/],
  // The same name typed with a combining diaeresis (NFD): one password after normalization.
  ['Mu\u0308ller1987!!!', /built from your name/]
]

/** Long passphrases and random strings: accepted, whoever chooses them. */
const ACCEPTED = [
  PASSWORD,
  'purple monkey dishwasher',
  'grace loves compilers',
  'x7$kP2!mQ9#vL4@nR8',
  'Müller writes the tests today'
]

function tooCommon (message: RegExp) {
  return {
    statusCode: 400,
    code: 'PASSWORD_TOO_COMMON',
    error: 'Bad Request',
    message: new RegExp(`^This password is too common or too easy to guess \\(.*${message.source}.*\\); choose`)
  }
}

function changePassword (app: App, token: string, payload: Record<string, unknown>) {
  return app.inject({ method: 'PATCH', url: '/auth/password', payload, headers: bearer(token) })
}

/** Asks for a reset and returns the code and the link's token of its message, read from the outbox. */
async function resetCode (t: Test, app: App, email: string): Promise<{ code: string, token: string }> {
  t.equal((await post(app, '/auth/password/forgot', { email })).statusCode, 202)
  await app.emailFlows.settled()
  const rows = await query(app)`SELECT text FROM mail_outbox WHERE recipient = ${email} AND purpose = 'reset_password'`
  const text = String(rows.at(-1)?.text)
  return { code: /\b(\d{6})\b/.exec(text)?.[1] as string, token: /#token=([\w-]+)/.exec(text)?.[1] as string }
}

t.test('POST /auth/register refuses listed and context-built passwords, in the common error shape', async t => {
  const app = await build(t, { EMAIL_VERIFICATION: 'off' })
  for (const [password, reason] of [...LISTED, ...CONTEXT]) {
    const response = await post(app, '/auth/register', { ...GRACE, name: GRACE.name.normalize('NFD'), password })
    t.equal(response.statusCode, 400, password)
    t.match(response.json(), tooCommon(reason), password)
  }
  for (const password of ACCEPTED) {
    const response = await post(app, '/auth/register', { email: `ok${ACCEPTED.indexOf(password)}@example.com`, password })
    t.equal(response.statusCode, 201, password)
  }
})

t.test('a context-built password is refused only with its own account: another account may use it', async t => {
  const app = await build(t, { EMAIL_VERIFICATION: 'off' })
  const response = await post(app, '/auth/register', { email: 'someone@example.com', password: 'grace.hopper1987!' })
  t.equal(response.statusCode, 201)
})

t.test('at register, a weak password is answered before a taken email: the body before other accounts', async t => {
  const app = await build(t, { EMAIL_VERIFICATION: 'off' })
  await register(app, { email: 'taken@example.com' })
  const weak = await post(app, '/auth/register', { email: 'taken@example.com', password: 'password123456!' })
  t.match(weak.json(), { statusCode: 400, code: 'PASSWORD_TOO_COMMON' })
  const taken = await post(app, '/auth/register', { email: 'taken@example.com', password: PASSWORD })
  t.match(taken.json(), { statusCode: 409, code: 'EMAIL_TAKEN' })
})

t.test('PATCH /auth/password refuses listed and context-built new passwords, and counts no attempt', async t => {
  const app = await build(t, { EMAIL_VERIFICATION: 'off', LOGIN_MAX_FAILURES: '2' })
  const { accessToken } = await register(app, GRACE)
  for (const [password, reason] of [...LISTED, ...CONTEXT]) {
    const response = await changePassword(app, accessToken, { currentPassword: PASSWORD, newPassword: password })
    t.match(response.json(), tooCommon(reason), password)
  }
  const wrong = await changePassword(app, accessToken, { currentPassword: 'not my password', newPassword: 'qwerty123456' })
  t.equal(wrong.json().code, 'PASSWORD_TOO_COMMON', 'the new password is a problem of the body, seen first')
  const changed = await changePassword(app, accessToken, { currentPassword: PASSWORD, newPassword: ACCEPTED[1] })
  t.equal(changed.statusCode, 200, 'refused new passwords were no attempts against the throttle')
})

t.test('POST /auth/password/reset refuses listed and context-built passwords, and the code stays usable', async t => {
  const app = await build(t, { EMAIL_VERIFICATION: 'off' })
  await register(app, GRACE)
  const { code, token } = await resetCode(t, app, GRACE.email)
  for (const [password, reason] of [...LISTED, ...CONTEXT]) {
    const byCode = await post(app, '/auth/password/reset', { email: GRACE.email, code, newPassword: password })
    t.match(byCode.json(), tooCommon(reason), `${password} with the code`)
    const byLink = await post(app, '/auth/password/reset', { token, newPassword: password })
    t.match(byLink.json(), tooCommon(reason), `${password} with the link`)
  }
  const reset = await post(app, '/auth/password/reset', { token, newPassword: ACCEPTED[2] })
  t.equal(reset.statusCode, 200, 'no refusal spent the code')
  t.equal((await post(app, '/auth/login', { email: GRACE.email, password: ACCEPTED[2] })).statusCode, 200)
})

t.test('a reset with a wrong code tells nothing of the account\'s details', async t => {
  const app = await build(t, { EMAIL_VERIFICATION: 'off' })
  await register(app, GRACE)
  const { code } = await resetCode(t, app, GRACE.email)
  const wrong = code === '999999' ? '999998' : '999999'
  for (const newPassword of ['Amazing_Grace99!', 'Müller1987!!!']) {
    const response = await post(app, '/auth/password/reset', { email: GRACE.email, code: wrong, newPassword })
    t.match(response.json(), { statusCode: 400, code: 'INVALID_CODE' }, newPassword)
  }
  const badToken = await post(app, '/auth/password/reset', { token: 'A'.repeat(43), newPassword: 'grace.hopper1987!' })
  t.match(badToken.json(), { statusCode: 400, code: 'INVALID_CODE' }, 'with a link, not even the address is known')
})

t.test('accounts made by operators follow the same rules', async t => {
  const app = await build(t)
  await t.rejects(app.accounts.createUser({ email: 'ops@example.com', password: 'password123456!', role: 'admin' }),
    { code: 'PASSWORD_TOO_COMMON', statusCode: 400 })
  await t.rejects(app.accounts.createUser({ email: 'root.admin@example.com', password: 'RootAdmin2024!', role: 'admin' }),
    { code: 'PASSWORD_TOO_COMMON', message: /built from your email address/ })
  t.match(await app.accounts.createUser({ email: 'ops@example.com', password: PASSWORD, role: 'admin' }), { role: 'admin' })
})

t.test('login is never refused by the list: only new passwords are checked', async t => {
  const app = await build(t, { EMAIL_VERIFICATION: 'off' })
  const { user } = await register(app, { email: 'old@example.com' })
  // As an account imported from an older system, or made before the list, might hold.
  await app.users.setPasswordHash(user.id, await app.passwords.hash('password123456!'))
  t.equal((await post(app, '/auth/login', { email: 'old@example.com', password: 'password123456!' })).statusCode, 200)
})

/** A stand-in for the Pwned Passwords range API on 127.0.0.1, recording what it was asked. */
async function rangeServer (
  t: Test, counts: Record<string, number>, answer: { status?: number, delayMs?: number } = {}
) {
  const requests: Array<{ url: string | undefined, headers: IncomingHttpHeaders }> = []
  const hashes = Object.entries(counts)
    .map(([password, count]) => [createHash('sha1').update(password).digest('hex').toUpperCase(), count] as const)
  const server = createServer((request, response) => {
    requests.push({ url: request.url, headers: request.headers })
    const prefix = request.url?.split('/').at(-1) ?? ''
    const lines = hashes.filter(([hash]) => hash.startsWith(prefix)).map(([hash, count]) => `${hash.slice(5)}:${count}`)
    // Padding, as Add-Padding asks: decoy suffixes with a count of 0.
    lines.push('0000000000000000000000000000000000A:0', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0')
    const send = () => response.writeHead(answer.status ?? 200, { 'content-type': 'text/plain' })
      .end(lines.join('\r\n'))
    if (answer.delayMs === undefined) send()
    else setTimeout(send, answer.delayMs).unref()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

function hibp (url: string) {
  return { EMAIL_VERIFICATION: 'off', PASSWORD_BREACH_CHECK: 'hibp', PASSWORD_BREACH_CHECK_URL: url }
}

t.test('PASSWORD_BREACH_CHECK=hibp refuses a breached password, sending only a 5-digit prefix', async t => {
  const breached = 'a long breached passphrase'
  const range = await rangeServer(t, { [breached]: 42 })
  const app = await build(t, hibp(range.url))
  const refused = await post(app, '/auth/register', { email: 'pwned@example.com', password: breached })
  t.match(refused.json(), tooCommon(/it has appeared in a data breach/))
  const prefix = createHash('sha1').update(breached).digest('hex').toUpperCase().slice(0, 5)
  t.match(range.requests, [{ url: `/range/${prefix}`, headers: { 'add-padding': 'true' } }])
  t.equal(range.requests.length, 1)

  t.equal((await post(app, '/auth/register', { email: 'fine@example.com', password: PASSWORD })).statusCode, 201,
    'a password not in the range is accepted')
  const { accessToken } = await register(app, { email: 'changer@example.com' })
  const change = await changePassword(app, accessToken, { currentPassword: PASSWORD, newPassword: breached })
  t.equal(change.json().code, 'PASSWORD_TOO_COMMON', 'a change is checked too')
  const { code } = await resetCode(t, app, 'changer@example.com')
  const reset = await post(app, '/auth/password/reset', { email: 'changer@example.com', code, newPassword: breached })
  t.equal(reset.json().code, 'PASSWORD_TOO_COMMON', 'and a reset')
})

t.test('a padding line (count 0) is no breach', async t => {
  const range = await rangeServer(t, { [PASSWORD]: 0 })
  const app = await build(t, hibp(range.url))
  t.equal((await post(app, '/auth/register', { email: 'pad@example.com', password: PASSWORD })).statusCode, 201)
  t.equal(range.requests.length, 1)
})

t.test('the breach check fails open: an error answer or an unreachable API accepts the password', async t => {
  const failing = await rangeServer(t, { [PASSWORD]: 42 }, { status: 503 })
  const app = await build(t, hibp(failing.url))
  t.equal((await post(app, '/auth/register', { email: 'e503@example.com', password: PASSWORD })).statusCode, 201)
  t.equal(failing.requests.length, 1)

  // Nothing listens on port 1: the connection is refused.
  const unreachable = await build(t, hibp('http://127.0.0.1:1'))
  t.equal((await post(unreachable, '/auth/register', { email: 'down@example.com', password: PASSWORD })).statusCode, 201)
})

t.test('the breach check gives up after 2 seconds and accepts the password', async t => {
  const slow = await rangeServer(t, { [PASSWORD]: 42 }, { delayMs: 5000 })
  const app = await build(t, hibp(slow.url))
  const started = Date.now()
  const response = await post(app, '/auth/register', { email: 'slow@example.com', password: PASSWORD })
  const waited = Date.now() - started
  t.equal(response.statusCode, 201)
  t.ok(waited >= 1900 && waited < 4500, `waited ${waited} ms`)
})
