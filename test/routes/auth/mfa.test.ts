import { readFileSync } from 'node:fs'
import t from 'tap'
import { bearer, build, meStatus, PASSWORD, post, register, type Session } from '../../helper.js'
import { fileDatabase, ON_POSTGRES, query, sharedDatabase } from '../../helpers/database.js'
import { smtpServer } from '../../helpers/smtp.js'
import { authenticator, totpCode } from '../../helpers/totp.js'
import type { App } from '../../helpers/types.js'

interface TwoFactorUser extends Session {
  secret: string
  /** The next code the app shows that the service has not accepted. */
  code: () => string
  recoveryCodes: string[]
}

function send (app: App, method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, accessToken: string, payload?: object) {
  return app.inject({ method, url, headers: bearer(accessToken), payload })
}

/** A registered user who has turned two-factor on; the session that did so is `accessToken`'s. */
async function withTwoFactor (app: App, fields: Record<string, unknown> = {}): Promise<TwoFactorUser> {
  const user = await register(app, fields)
  const enrolled = await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })
  if (enrolled.statusCode !== 200) throw new Error(`enroll: ${enrolled.body}`)
  const { secret } = enrolled.json()
  const code = authenticator(secret)
  const confirmed = await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: code() })
  if (confirmed.statusCode !== 200) throw new Error(`confirm: ${confirmed.body}`)
  return { ...user, secret, code, recoveryCodes: confirmed.json().recoveryCodes }
}

/** The login's first step: the mfaToken. */
async function passwordStep (app: App, email: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await post(app, '/auth/login', { email, password: PASSWORD }, headers)
  if (response.statusCode !== 200 || response.json().mfaRequired !== true) throw new Error(`login: ${response.body}`)
  return response.json().mfaToken
}

function claimsOf (accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString())
}

t.test('enrol, confirm, then a login asks for the code and signs in with it; the token carries the methods', async t => {
  const app = await build(t)
  const user = await register(app, { name: 'Grace' })
  t.match(claimsOf(user.accessToken), { amr: ['pwd'] }, 'a password login is one factor')
  t.match((await send(app, 'GET', '/auth/mfa', user.accessToken)).json(), { totp: false, recoveryCodesLeft: 0 })

  const enrolled = await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })
  t.equal(enrolled.statusCode, 200)
  const { secret, otpauthUrl, qrCode } = enrolled.json()
  t.match(secret, /^[A-Z2-7]{32}$/, 'a 160-bit secret in base32')
  t.match(otpauthUrl, new RegExp(`^otpauth://totp/Auth:${encodeURIComponent(user.user.email)}\\?issuer=Auth&secret=${secret}&algorithm=SHA1&digits=6&period=30$`))
  t.match(Buffer.from(qrCode.replace('data:image/svg+xml;base64,', ''), 'base64').toString(), /^<svg [^>]*>/)
  t.equal((await send(app, 'GET', '/auth/mfa', user.accessToken)).json().totp, false, 'not on before its first code')

  const code = authenticator(secret)
  const confirmed = await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: code() })
  t.equal(confirmed.statusCode, 200)
  const { recoveryCodes } = confirmed.json()
  t.equal(new Set(recoveryCodes).size, 10, 'ten different recovery codes')
  for (const recoveryCode of recoveryCodes) t.match(recoveryCode, /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/)
  t.match((await send(app, 'GET', '/auth/mfa', user.accessToken)).json(), { totp: true, recoveryCodesLeft: 10 })
  t.equal((await send(app, 'GET', '/auth/me', user.accessToken)).json().mfaEnabled, true)

  const login = await post(app, '/auth/login', { email: user.user.email, password: PASSWORD })
  t.equal(login.statusCode, 200)
  t.strictSame(Object.keys(login.json()).sort(), ['expiresIn', 'methods', 'mfaRequired', 'mfaToken'], 'no token yet')
  t.match(login.json(), { mfaRequired: true, methods: ['totp', 'recovery_code'], expiresIn: 300 })

  const verified = await post(app, '/auth/mfa/verify', { mfaToken: login.json().mfaToken, code: code() })
  t.equal(verified.statusCode, 200)
  const { accessToken, refreshToken } = verified.json()
  t.match(verified.json(), { user: { id: user.user.id, mfaEnabled: true }, tokenType: 'Bearer', expiresIn: 900 })
  t.strictSame(claimsOf(accessToken).amr, ['pwd', 'otp', 'mfa'])
  t.strictSame((await send(app, 'GET', '/auth/me', accessToken)).json().amr, ['pwd', 'otp', 'mfa'])
  t.strictSame((await post(app, '/auth/token/verify', { token: accessToken })).json().payload.amr, ['pwd', 'otp', 'mfa'])

  const refreshed = await post(app, '/auth/refresh', { refreshToken })
  t.strictSame(claimsOf(refreshed.json().accessToken).amr, ['pwd', 'otp', 'mfa'], 'kept across refreshes')
})

t.test('a code is accepted once: sent again, even to another login, it is refused', async t => {
  const app = await build(t)
  const user = await register(app)
  const { secret } = (await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })).json()
  const used = totpCode(secret)
  t.equal((await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: used })).statusCode, 200)

  const mfaToken = await passwordStep(app, user.user.email)
  const replayed = await post(app, '/auth/mfa/verify', { mfaToken, code: used })
  t.match(replayed, { statusCode: 401 })
  t.match(replayed.json(), { code: 'INVALID_CODE', message: 'The code is wrong, expired or already used' })

  const next = totpCode(secret, Math.floor(Date.now() / 30_000) + 1)
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken, code: next })).statusCode, 200, 'the next one works')
  const again = await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), code: next })
  t.equal(again.json().code, 'INVALID_CODE', 'and only once')
})

t.test('a recovery code signs in once, typed in any case with or without its dash', async t => {
  const app = await build(t)
  const user = await withTwoFactor(app)
  const [first, second] = user.recoveryCodes as [string, string]
  const typed = ` ${first.replace('-', '').toUpperCase()} `.trim()
  const signedIn = await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), recoveryCode: typed })
  t.equal(signedIn.statusCode, 200)
  t.strictSame(claimsOf(signedIn.json().accessToken).amr, ['pwd', 'otp', 'mfa'])
  t.equal((await send(app, 'GET', '/auth/mfa', user.accessToken)).json().recoveryCodesLeft, 9)

  const reused = await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), recoveryCode: first })
  t.equal(reused.json().code, 'INVALID_CODE', 'a used recovery code never works again')
  const other = await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), recoveryCode: second })
  t.equal(other.statusCode, 200)
})

t.test('the mfaToken ends after five wrong codes, after one success, and after five minutes', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES: '100' })
  const user = await withTwoFactor(app)
  const mfaToken = await passwordStep(app, user.user.email)
  const wrong = String((Number(totpCode(user.secret)) + 500_000) % 1_000_000).padStart(6, '0')
  for (let i = 0; i < 5; i++) {
    t.equal((await post(app, '/auth/mfa/verify', { mfaToken, code: wrong })).json().code, 'INVALID_CODE')
  }
  const spent = await post(app, '/auth/mfa/verify', { mfaToken, recoveryCode: user.recoveryCodes[2] })
  t.match(spent, { statusCode: 401 })
  t.equal(spent.json().code, 'INVALID_MFA_TOKEN', 'a right code comes too late')

  const fresh = await passwordStep(app, user.user.email)
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken: fresh, code: user.code() })).statusCode, 200)
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken: fresh, recoveryCode: user.recoveryCodes[0] })).json().code,
    'INVALID_MFA_TOKEN', 'one success spends it')

  const late = await passwordStep(app, user.user.email)
  await query(app)`UPDATE mfa_challenges SET expires_at = ${new Date(Date.now() - 1000)}`
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken: late, recoveryCode: user.recoveryCodes[1] })).json().code,
    'INVALID_MFA_TOKEN', 'an expired one is refused')
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken: 'x'.repeat(43), recoveryCode: user.recoveryCodes[1] })).json().code,
    'INVALID_MFA_TOKEN', 'so is a made-up one')
})

t.test('wrong codes count against the account across addresses, with the failed logins', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES: '3', TRUST_PROXY: '127.0.0.1' })
  const user = await withTwoFactor(app, { username: 'ada_l' })
  const wrong = String((Number(totpCode(user.secret)) + 500_000) % 1_000_000).padStart(6, '0')
  let status = 0
  let code = ''
  // Each try from a new address and a new login, by email or by username: the count is the account's.
  for (let i = 1; i <= 6 && status !== 429; i++) {
    const from = { 'x-forwarded-for': `203.0.113.${i}` }
    const login = await post(app, '/auth/login', i % 2 === 0 ? { username: 'ada_l', password: PASSWORD } : { email: user.user.email, password: PASSWORD }, from)
    const mfaToken = login.json().mfaToken as string | undefined
    const answer = mfaToken === undefined ? login : await post(app, '/auth/mfa/verify', { mfaToken, code: wrong }, from)
    status = answer.statusCode
    code = answer.json().code
  }
  t.equal(status, 429)
  t.equal(code, 'TOO_MANY_ATTEMPTS', 'guessing codes is throttled like guessing passwords')
})

t.test('a stranger\'s wrong passwords do not keep the owner of a two-factor account out', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES: '3' })
  let now = Date.now()
  app.loginThrottle.now = () => now
  const user = await withTwoFactor(app)
  // Wrong passwords, one after each wait: the email's waits grow.
  for (let i = 0; i < 8; i++) {
    const response = await post(app, '/auth/login', { email: user.user.email, password: 'a wrong password' })
    if (response.statusCode === 429) now += Number(response.headers['retry-after']) * 1000 + 1000
  }
  now += 16 * 60_000
  const mfaToken = await passwordStep(app, user.user.email)
  const verified = await post(app, '/auth/mfa/verify', { mfaToken, code: user.code() })
  t.equal(verified.statusCode, 200, 'the right password and code sign in')
})

t.test('neither a right password nor a reset by email starts the count of wrong codes over', async t => {
  const smtp = await smtpServer(t)
  const app = await build(t, { LOGIN_MAX_FAILURES: '3', SMTP_URL: smtp.url, PUBLIC_URL: 'https://auth.example.com' })
  const user = await withTwoFactor(app)
  const wrong = String((Number(totpCode(user.secret)) + 500_000) % 1_000_000).padStart(6, '0')
  const guess = async () => (await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), code: wrong })).json().code
  const answers = [await guess(), await guess(), await guess(), await guess(), await guess()]
  t.equal(answers.at(-1), 'TOO_MANY_ATTEMPTS', `guesses: ${answers.join(', ')}`)

  await post(app, '/auth/password/forgot', { email: user.user.email })
  const message = (await smtp.waitFor(3)).find(mail => mail.text.includes('/reset-password#token='))
  const token = /#token=([A-Za-z0-9_-]+)/.exec(message?.text ?? '')?.[1]
  t.equal((await post(app, '/auth/password/reset', { token, newPassword: 'another long passphrase' })).statusCode, 200)
  const login = await post(app, '/auth/login', { email: user.user.email, password: 'another long passphrase' })
  const after = await post(app, '/auth/mfa/verify', { mfaToken: login.json().mfaToken, code: wrong })
  t.equal(after.json().code, 'TOO_MANY_ATTEMPTS', 'the mailbox alone gives no more guesses')
})

t.test('a login whose password is checked while two-factor is turned on gets no one-factor session', async t => {
  const app = await build(t, { BCRYPT_COST: '12', HASH_WORKERS: '2' })
  const user = await register(app)
  const { secret } = (await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })).json()
  const logins = Array.from({ length: 4 }, () => post(app, '/auth/login', { email: user.user.email, password: PASSWORD }))
  // The logins' passwords are being hashed (a quarter of a second or more at cost 12) when it turns on.
  await new Promise(resolve => setTimeout(resolve, 30))
  t.equal((await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: totpCode(secret) })).statusCode, 200)
  const answers = (await Promise.all(logins)).map(response => response.json())
  t.strictSame(answers.map(answer => answer.mfaRequired), [true, true, true, true], 'every one asks for the code')
})

t.test('confirming counts wrong codes against the account, and an enrolment waits fifteen minutes', async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES: '3' })
  const user = await register(app)
  const { secret } = (await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })).json()
  const wrong = String((Number(totpCode(secret)) + 500_000) % 1_000_000).padStart(6, '0')
  const answers = []
  for (let i = 0; i < 5; i++) answers.push((await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: wrong })).json().code)
  t.equal(answers.at(-1), 'TOO_MANY_ATTEMPTS', `answers: ${answers.join(', ')}`)

  const other = await register(app)
  const pending = (await send(app, 'POST', '/auth/mfa/totp/enroll', other.accessToken, { password: PASSWORD })).json()
  await query(app)`UPDATE mfa_totp SET created_at = ${new Date(Date.now() - 15 * 60_000)} WHERE user_id = ${other.user.id}`
  const late = await send(app, 'POST', '/auth/mfa/totp/confirm', other.accessToken, { code: totpCode(pending.secret) })
  t.equal(late.json().code, 'MFA_CONFLICT', 'an enrolment left pending expires')
})

t.test('after ENCRYPTION_KEY changes, a sealed secret answers 503 MFA_UNAVAILABLE, never a code check', async t => {
  const database = await sharedDatabase(t)
  const first = await build(t, { ...database, ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('hex') })
  const user = await withTwoFactor(first)
  await first.close()
  const changed = await build(t, { ...database, ENCRYPTION_KEY: Buffer.alloc(32, 2).toString('hex') })
  const answer = await post(changed, '/auth/mfa/verify', { mfaToken: await passwordStep(changed, user.user.email), code: user.code() })
  t.match(answer, { statusCode: 503 })
  t.match(answer.json(), { code: 'MFA_UNAVAILABLE', message: /contact support/ })
})

t.test('a code typed with a space turns two-factor off; MFA_ISSUER may not hold a colon', async t => {
  const app = await build(t)
  const user = await withTwoFactor(app)
  const session = (await post(app, '/auth/refresh', { refreshToken: user.refreshToken })).json()
  const code = user.code()
  const off = await send(app, 'DELETE', '/auth/mfa/totp', session.accessToken, { code: `${code.slice(0, 3)} ${code.slice(3)}` })
  t.equal(off.statusCode, 200)
  await t.rejects(build(t, { MFA_ISSUER: 'Acme: Inc' }), /MFA_ISSUER must not contain ":"/)
})

t.test('confirming ends the other sessions; this one proves the factor from its next refresh', async t => {
  const app = await build(t)
  const user = await register(app)
  const other = (await post(app, '/auth/login', { email: user.user.email, password: PASSWORD })).json()
  const { secret } = (await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })).json()
  t.equal((await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: totpCode(secret) })).statusCode, 200)
  t.equal(await meStatus(app, other.accessToken), 401, 'the other session, signed in with one factor, has ended')
  t.equal(await meStatus(app, user.accessToken), 200, 'this one goes on')

  const change = { currentPassword: PASSWORD, newPassword: 'another long passphrase' }
  const before = await send(app, 'PATCH', '/auth/password', user.accessToken, change)
  t.match(before, { statusCode: 403 })
  t.match(before.json(), { code: 'MFA_REQUIRED' }, 'its token from before the confirmation says pwd only')
  t.equal((await post(app, '/auth/email/change', { newEmail: 'new@example.com', password: PASSWORD }, bearer(user.accessToken))).json().code, 'MFA_REQUIRED')

  const refreshed = (await post(app, '/auth/refresh', { refreshToken: user.refreshToken })).json()
  t.strictSame(claimsOf(refreshed.accessToken).amr, ['pwd', 'otp', 'mfa'])
  t.equal((await send(app, 'PATCH', '/auth/password', refreshed.accessToken, change)).statusCode, 200)
})

t.test('recovery codes are renewed with a current code: the old ones die', async t => {
  const app = await build(t)
  const user = await withTwoFactor(app)
  const session = (await post(app, '/auth/refresh', { refreshToken: user.refreshToken })).json()
  const renewed = await send(app, 'POST', '/auth/mfa/recovery-codes', session.accessToken, { code: user.code() })
  t.equal(renewed.statusCode, 200)
  const fresh = renewed.json().recoveryCodes as string[]
  t.equal(fresh.filter(code => user.recoveryCodes.includes(code)).length, 0)
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), recoveryCode: user.recoveryCodes[0] })).json().code, 'INVALID_CODE')
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), recoveryCode: fresh[0] })).statusCode, 200)
  t.equal((await send(app, 'POST', '/auth/mfa/recovery-codes', session.accessToken, { code: totpCode(user.secret) })).json().code,
    'INVALID_CODE', 'a code already used is refused here too')
})

t.test('turning two-factor off takes a step-up session and a code, and logins ask for the password only', async t => {
  const app = await build(t)
  const user = await withTwoFactor(app)
  t.equal((await send(app, 'DELETE', '/auth/mfa/totp', user.accessToken, { code: user.recoveryCodes[0] })).json().code,
    'MFA_REQUIRED', 'not from a one-factor token')
  const session = (await post(app, '/auth/refresh', { refreshToken: user.refreshToken })).json()
  t.equal((await send(app, 'DELETE', '/auth/mfa/totp', session.accessToken, { code: 'aaaaa-aaaaa' })).json().code, 'INVALID_CODE')
  const off = await send(app, 'DELETE', '/auth/mfa/totp', session.accessToken, { code: user.recoveryCodes[0] })
  t.equal(off.statusCode, 200)
  t.match((await send(app, 'GET', '/auth/mfa', session.accessToken)).json(), { totp: false, recoveryCodesLeft: 0 })
  const login = await post(app, '/auth/login', { email: user.user.email, password: PASSWORD })
  t.ok(login.json().accessToken, 'a password login signs in again')
  t.equal((await send(app, 'DELETE', '/auth/mfa/totp', session.accessToken, { code: '123456' })).json().code, 'MFA_CONFLICT')
})

t.test('enrolling asks for the password, counts wrong ones, and is refused once two-factor is on', async t => {
  const app = await build(t)
  const user = await register(app)
  const wrong = await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: 'not the password' })
  t.match(wrong, { statusCode: 401 })
  t.equal(wrong.json().code, 'INVALID_CREDENTIALS')
  const events = await query(app)`SELECT reason FROM auth_events WHERE user_id = ${user.user.id} AND type = 'login_failure'`
  t.strictSame(events.map(event => event.reason), ['wrong_current_password'])

  const first = (await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })).json()
  const second = (await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })).json()
  t.not(second.secret, first.secret, 'enrolling again replaces the pending secret')
  t.equal((await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: totpCode(first.secret) })).json().code,
    'INVALID_CODE', 'the replaced secret\'s code is wrong')
  t.equal((await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: totpCode(second.secret) })).statusCode, 200)
  t.equal((await send(app, 'POST', '/auth/mfa/totp/enroll', user.accessToken, { password: PASSWORD })).json().code, 'MFA_CONFLICT')
  t.equal((await send(app, 'POST', '/auth/mfa/totp/confirm', user.accessToken, { code: '123456' })).json().code, 'MFA_CONFLICT')
})

t.test('bad codes and tokens are 400s in the common error shape', async t => {
  const app = await build(t)
  const user = await register(app)
  const cases: Array<[string, 'POST' | 'DELETE', string, object]> = [
    ['confirm with letters', 'POST', '/auth/mfa/totp/confirm', { code: 'abcdef' }],
    ['confirm with 7 digits', 'POST', '/auth/mfa/totp/confirm', { code: '1234567' }],
    ['confirm with a number', 'POST', '/auth/mfa/totp/confirm', { code: 123456 }],
    ['enroll without a password', 'POST', '/auth/mfa/totp/enroll', {}],
    ['off with symbols', 'DELETE', '/auth/mfa/totp', { code: '12345$' }],
    ['verify with both codes', 'POST', '/auth/mfa/verify', { mfaToken: 'x'.repeat(43), code: '123456', recoveryCode: 'aaaaa-aaaaa' }],
    ['verify with neither', 'POST', '/auth/mfa/verify', { mfaToken: 'x'.repeat(43) }],
    ['verify without a token', 'POST', '/auth/mfa/verify', { code: '123456' }],
    ['verify with a long token', 'POST', '/auth/mfa/verify', { mfaToken: 'x'.repeat(65), code: '123456' }],
    ['verify with an extra field', 'POST', '/auth/mfa/verify', { mfaToken: 'x'.repeat(43), code: '123456', admin: true }]
  ]
  for (const [name, method, url, payload] of cases) {
    const response = await send(app, method, url, user.accessToken, payload)
    t.equal(response.statusCode, 400, name)
    t.match(response.json(), { statusCode: 400, code: 'VALIDATION_ERROR', error: 'Bad Request', message: String }, name)
  }
})

t.test('an admin resets the two-factor of a user who lost it: sessions end, the password alone signs in', async t => {
  const app = await build(t)
  const admin = await app.accounts.createUser({ email: 'root@example.com', password: PASSWORD, role: 'admin' })
  const adminSession = (await post(app, '/auth/login', { email: admin.email, password: PASSWORD })).json()
  const user = await withTwoFactor(app)
  const reset = await send(app, 'DELETE', `/auth/admin/users/${user.user.id}/mfa`, adminSession.accessToken)
  t.equal(reset.statusCode, 200)
  t.equal(await meStatus(app, user.accessToken), 401, 'the user\'s sessions have ended')
  t.ok((await post(app, '/auth/login', { email: user.user.email, password: PASSWORD })).json().accessToken)
  const events = await query(app)`SELECT actor_id FROM auth_events WHERE user_id = ${user.user.id} AND type = 'mfa_reset'`
  t.strictSame(events.map(event => event.actor_id), [admin.id], 'audited with the admin who acted')
  t.equal((await send(app, 'DELETE', `/auth/admin/users/${user.user.id}/mfa`, adminSession.accessToken)).json().code, 'MFA_CONFLICT')
  t.equal((await send(app, 'DELETE', `/auth/admin/users/${admin.id}/mfa`, adminSession.accessToken)).json().code, 'CANNOT_MODIFY_SELF')
})

t.test('an admin with two-factor on acts only from a session that proved it', async t => {
  const app = await build(t)
  const admin = await app.accounts.createUser({ email: 'root@example.com', password: PASSWORD, role: 'admin' })
  const session = (await post(app, '/auth/login', { email: admin.email, password: PASSWORD })).json()
  const { secret } = (await send(app, 'POST', '/auth/mfa/totp/enroll', session.accessToken, { password: PASSWORD })).json()
  const code = authenticator(secret)
  await send(app, 'POST', '/auth/mfa/totp/confirm', session.accessToken, { code: code() })
  const refused = await send(app, 'GET', '/auth/admin/users', session.accessToken)
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'MFA_REQUIRED')
  const stepped = (await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, admin.email), code: code() })).json()
  t.equal((await send(app, 'GET', '/auth/admin/users', stepped.accessToken)).statusCode, 200)
})

t.test('turning two-factor on and off sends a notice to the account\'s address', async t => {
  const app = await build(t)
  const user = await withTwoFactor(app, { name: 'Grace' })
  const session = (await post(app, '/auth/refresh', { refreshToken: user.refreshToken })).json()
  await send(app, 'DELETE', '/auth/mfa/totp', session.accessToken, { code: user.recoveryCodes[0] })
  const rows = await query(app)`SELECT subject, text FROM mail_outbox WHERE recipient = ${user.user.email} AND purpose LIKE 'mfa%' ORDER BY created_at`
  t.match(rows, [
    { subject: 'Two-factor sign-in is on', text: /Hello Grace,[\s\S]*turned on/ },
    { subject: 'Two-factor sign-in is off', text: /turned off for your account:/ }
  ])
})

t.test('the secret is sealed at rest: the database never shows it in clear', async t => {
  const database = ON_POSTGRES ? {} : fileDatabase(t)
  const app = await build(t, database)
  const user = await withTwoFactor(app)
  const [row] = await query(app)`SELECT secret FROM mfa_totp WHERE user_id = ${user.user.id}`
  t.match(row?.secret, /^v1\./)
  t.notOk(String(row?.secret).includes(user.secret))
  const codes = await query(app)`SELECT code_hash FROM mfa_recovery_codes WHERE user_id = ${user.user.id}`
  t.equal(codes.length, 10)
  t.notOk(codes.some(code => user.recoveryCodes.some(clear => String(code.code_hash).includes(clear.replace('-', '')))))
  if (!ON_POSTGRES) {
    await app.close()
    const file = readFileSync(database.DATABASE_URL as string).toString('latin1')
    t.notOk(file.includes(user.secret), 'nowhere in the database file')
    t.notOk(user.recoveryCodes.some(code => file.includes(code)))
  }
})

t.test('ENCRYPTION_KEY seals the secrets; a key that cannot be used stops the start', async t => {
  const key = Buffer.alloc(32, 7).toString('base64')
  const app = await build(t, { ENCRYPTION_KEY: key })
  const user = await withTwoFactor(app)
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), code: user.code() })).statusCode, 200)
  const keys = await query(app)`SELECT key FROM settings WHERE key = 'encryption_key'`
  t.equal(keys.length, 0, 'no key is generated when one is given')
  await t.rejects(build(t, { ENCRYPTION_KEY: 'too short' }), /ENCRYPTION_KEY must be 32 bytes/)
})

t.test('under a compatibility profile, an account with two-factor on cannot sign in without the code', async t => {
  const app = await build(t, { COMPAT_PROFILE: 'flask' })
  const user = await withTwoFactor(app)
  const login = await post(app, '/api/login', { email: user.user.email, password: PASSWORD })
  t.equal(login.statusCode, 403)
  t.notOk(JSON.stringify(login.json()).includes('access_token'))
  const wrong = await post(app, '/api/login', { email: user.user.email, password: 'not the password' })
  t.equal(wrong.statusCode, 401, 'a wrong password still says only that')
})

t.test('in cookie mode the second step sets the refresh cookie, as a login does', async t => {
  const app = await build(t)
  const user = await withTwoFactor(app)
  const verified = await post(app, '/auth/mfa/verify', { mfaToken: await passwordStep(app, user.user.email), code: user.code(), cookie: true })
  t.equal(verified.statusCode, 200)
  t.notOk('refreshToken' in verified.json())
  t.match(String(verified.headers['set-cookie']), /HttpOnly/)
})

t.test('the second step follows the login\'s rules: a rehash at a new cost, and a required verified address', async t => {
  const database = await sharedDatabase(t)
  const user = await withTwoFactor(await build(t, database))
  // The first login at a new BCRYPT_COST rehashes the password before asking for the code.
  const rehashing = await build(t, { ...database, BCRYPT_COST: '11' })
  const mfaToken = await passwordStep(rehashing, user.user.email)
  t.equal((await post(rehashing, '/auth/mfa/verify', { mfaToken, code: user.code() })).statusCode, 200)

  const strict = await build(t, { ...database, EMAIL_VERIFICATION: 'required' })
  const login = await post(strict, '/auth/login', { email: user.user.email, password: PASSWORD })
  t.equal(login.json().code, 'EMAIL_NOT_VERIFIED', 'no second step for an address not verified')
})

t.test('a password changed while a login waits for its code ends that login', async t => {
  const app = await build(t)
  const user = await withTwoFactor(app)
  const mfaToken = await passwordStep(app, user.user.email)
  const session = (await post(app, '/auth/refresh', { refreshToken: user.refreshToken })).json()
  const change = { currentPassword: PASSWORD, newPassword: 'another long passphrase' }
  t.equal((await send(app, 'PATCH', '/auth/password', session.accessToken, change)).statusCode, 200)
  t.equal((await post(app, '/auth/mfa/verify', { mfaToken, recoveryCode: user.recoveryCodes[0] })).json().code, 'INVALID_MFA_TOKEN')
})
