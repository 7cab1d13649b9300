import { eq } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { bearer, build, meStatus, PASSWORD, post, register } from '../../helper.js'
import { query } from '../../helpers/database.js'
import { eventually, quickRetries } from '../../helpers/mail.js'
import { freePort, type ReceivedMessage, smtpServer } from '../../helpers/smtp.js'
import type { App } from '../../helpers/types.js'

const PUBLIC_URL = 'https://auth.example.com'
const NEW_PASSWORD = 'a brand new passphrase'

/** The app with a real SMTP server behind it. */
async function setup (t: Test, env: Record<string, string> = {}) {
  const smtp = await smtpServer(t)
  const app = await build(t, { SMTP_URL: smtp.url, PUBLIC_URL, ...env })
  return { app, smtp }
}

/** The code and the link's token of a message, as a person reads them. */
function codeOf (message: ReceivedMessage): { code: string, token: string, link: string } {
  const code = /\b(\d{6})\b/.exec(message.text)?.[1]
  const link = /(https?:\/\/\S+#token=[A-Za-z0-9_-]+)/.exec(message.text)?.[1]
  if (code === undefined || link === undefined) throw new Error(`no code or link in: ${message.text}`)
  return { code, link, token: link.split('#token=')[1] as string }
}

/** Messages the outbox holds for an address, sent or not. */
async function outboxFor (app: App, email: string): Promise<number> {
  const rows = await query(app)`SELECT count(*) AS count FROM mail_outbox WHERE recipient = ${email}`
  return Number(rows[0]?.count)
}

t.test('register sends a verification message; its code, or its link, verifies the address once', async t => {
  const { app, smtp } = await setup(t)
  const registered = await post(app, '/auth/register', { email: 'grace@example.com', password: PASSWORD, name: 'Grace' },
    { host: 'evil.example' })
  t.equal(registered.statusCode, 201)
  t.equal(registered.json().user.emailVerified, false)

  const [message] = await smtp.waitFor(1)
  t.same(message?.envelope.to, ['grace@example.com'])
  t.match(message?.text, /Grace/, 'the user\'s name')
  const { code, link } = codeOf(message as ReceivedMessage)
  t.match(link, /^https:\/\/auth\.example\.com\/verify-email#token=/, 'the link is PUBLIC_URL\'s, never the Host header\'s')
  t.notMatch(message?.text + (message?.html ?? ''), new RegExp(PASSWORD), 'no password in a message')
  t.notMatch(message?.text + (message?.html ?? ''), new RegExp(registered.json().refreshToken), 'no refresh token')

  const wrong = await post(app, '/auth/email/verify', { email: 'grace@example.com', code: code === '000000' ? '000001' : '000000' })
  t.equal(wrong.statusCode, 400)
  t.equal(wrong.json().code, 'INVALID_CODE')
  const verified = await post(app, '/auth/email/verify', { email: 'Grace@Example.com', code })
  t.equal(verified.statusCode, 200)
  t.match(verified.json(), { email: 'grace@example.com', emailVerified: true })
  const me = await app.inject({ url: '/auth/me', headers: bearer(registered.json().accessToken) })
  t.equal(me.json().emailVerified, true, 'the signed-in user sees it at once')
  const again = await post(app, '/auth/email/verify', { email: 'grace@example.com', code })
  t.equal(again.statusCode, 400, 'a code works once')
  t.same(again.json(), wrong.json(), 'a used code gets the answer of a wrong one')

  const other = await post(app, '/auth/register', { email: 'ada@example.com', password: PASSWORD })
  t.equal(other.statusCode, 201)
  const [, second] = await smtp.waitFor(2)
  const byLink = await post(app, '/auth/email/verify', { token: codeOf(second as ReceivedMessage).token })
  t.equal(byLink.statusCode, 200)
  t.match(byLink.json(), { email: 'ada@example.com', emailVerified: true })
  const events = await query(app)`SELECT type FROM auth_events WHERE type IN ('email_verification_requested', 'email_verified')`
  t.equal(events.length, 4, 'each request and each verification is in the audit trail')
})

t.test('the request endpoints give one answer, whether or not the address is an account\'s', async t => {
  const { app } = await setup(t)
  await register(app, { email: 'known@example.com' })
  await register(app, { email: 'verified@example.com' })
  const { users } = app.store.tables
  await app.store.write(db => db.update(users).set({ emailVerifiedAt: new Date() })
    .where(eq(users.emailKey, 'verified@example.com')))
  for (const url of ['/auth/email/verify/resend', '/auth/password/forgot']) {
    const answers = []
    for (const email of ['known@example.com', 'verified@example.com', 'nobody@example.com']) {
      const response = await post(app, url, { email })
      answers.push([response.statusCode, response.body])
    }
    t.equal(answers[0]?.[0], 202, url)
    t.same(answers[1], answers[0], `${url}: byte-identical for another known address`)
    t.same(answers[2], answers[0], `${url}: byte-identical for an unknown address`)
  }
  await app.emailFlows.settled()
  t.equal(await outboxFor(app, 'nobody@example.com'), 0, 'nothing is sent to an unknown address')
})

t.test('password reset by code: one use, every session ends, a notice goes out, the new password works', async t => {
  const { app, smtp } = await setup(t, { EMAIL_VERIFICATION: 'off' })
  const { user, accessToken } = await register(app, { email: 'reset@example.com', name: 'Reset' })
  const forgot = await post(app, '/auth/password/forgot', { email: 'reset@example.com' })
  t.equal(forgot.statusCode, 202)
  const [message] = await smtp.waitFor(1)
  t.same(message?.envelope.to, ['reset@example.com'])
  const { code, link } = codeOf(message as ReceivedMessage)
  t.match(link, /^https:\/\/auth\.example\.com\/reset-password#token=/)

  const mismatch = await post(app, '/auth/password/reset', { email: user.email, code, newPassword: NEW_PASSWORD, confirmNewPassword: 'other' })
  t.equal(mismatch.statusCode, 400)
  t.equal(mismatch.json().code, 'VALIDATION_ERROR')
  const reset = await post(app, '/auth/password/reset', { email: user.email, code, newPassword: NEW_PASSWORD })
  t.equal(reset.statusCode, 200)
  t.equal(await meStatus(app, accessToken), 401, 'every session has ended')
  t.equal((await post(app, '/auth/login', { email: user.email, password: PASSWORD })).statusCode, 401)
  const login = await post(app, '/auth/login', { email: user.email, password: NEW_PASSWORD })
  t.equal(login.statusCode, 200)
  t.equal(login.json().user.emailVerified, true, 'the reset proved the address')
  const [, notice] = await smtp.waitFor(2)
  t.same(notice?.envelope.to, ['reset@example.com'])
  t.notMatch(notice?.text, /\b\d{6}\b/, 'the notice carries no code')
  const again = await post(app, '/auth/password/reset', { email: user.email, code, newPassword: 'yet another passphrase' })
  t.equal(again.statusCode, 400)
  t.equal(again.json().code, 'INVALID_CODE')
})

t.test('password reset by the link\'s token; a token of another purpose does nothing', async t => {
  const { app, smtp } = await setup(t)
  const { user } = await register(app, { email: 'link@example.com' })
  const [verification] = await smtp.waitFor(1)
  const verifyToken = codeOf(verification as ReceivedMessage).token
  t.equal((await post(app, '/auth/password/reset', { token: verifyToken, newPassword: NEW_PASSWORD })).statusCode, 400,
    'a verification link cannot reset a password')
  await post(app, '/auth/password/forgot', { email: user.email })
  const [, message] = await smtp.waitFor(2)
  const { token, code } = codeOf(message as ReceivedMessage)
  t.equal((await post(app, '/auth/email/verify', { email: user.email, code })).statusCode, 400,
    'a reset code cannot verify an address')
  t.equal((await post(app, '/auth/email/verify', { token })).statusCode, 400, 'nor its link')
  t.equal((await post(app, '/auth/password/reset', { token, newPassword: NEW_PASSWORD })).statusCode, 200)
  t.equal((await post(app, '/auth/login', { email: user.email, password: NEW_PASSWORD })).statusCode, 200)
})

t.test('a code dies after five wrong tries, and wrong codes count as failed logins', async t => {
  const { app, smtp } = await setup(t, { EMAIL_VERIFICATION: 'off', LOGIN_MAX_FAILURES: '100' })
  const { user } = await register(app, { email: 'tries@example.com' })
  await post(app, '/auth/password/forgot', { email: user.email })
  const { code } = codeOf((await smtp.waitFor(1))[0] as ReceivedMessage)
  const wrong = code === '999999' ? '999998' : '999999'
  for (let i = 0; i < 5; i++) {
    t.equal((await post(app, '/auth/password/reset', { email: user.email, code: wrong, newPassword: NEW_PASSWORD })).statusCode, 400)
  }
  const right = await post(app, '/auth/password/reset', { email: user.email, code, newPassword: NEW_PASSWORD })
  t.equal(right.statusCode, 400, 'the right code is dead after five wrong ones')
  t.equal(right.json().code, 'INVALID_CODE')

  const throttled = await build(t, { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off' })
  await register(throttled, { email: 'locked@example.com' })
  for (let i = 0; i < 5; i++) {
    await post(throttled, '/auth/password/reset', { email: 'locked@example.com', code: '123456', newPassword: NEW_PASSWORD })
  }
  const login = await post(throttled, '/auth/login', { email: 'locked@example.com', password: PASSWORD })
  t.equal(login.statusCode, 429, 'the account\'s login waits, as after five wrong passwords')
  t.equal(login.json().code, 'TOO_MANY_ATTEMPTS')
})

t.test('ten concurrent resets with one code: exactly one succeeds', async t => {
  const { app, smtp } = await setup(t, { EMAIL_VERIFICATION: 'off', LOGIN_MAX_FAILURES: '100' })
  const { user } = await register(app, { email: 'race@example.com' })
  await post(app, '/auth/password/forgot', { email: user.email })
  const { code } = codeOf((await smtp.waitFor(1))[0] as ReceivedMessage)
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
    post(app, '/auth/password/reset', { email: user.email, code, newPassword: `${NEW_PASSWORD} ${i}` })))
  t.same(answers.map(answer => answer.statusCode).sort(), [200, 400, 400, 400, 400, 400, 400, 400, 400, 400])
  const winner = answers.findIndex(answer => answer.statusCode === 200)
  t.equal((await post(app, '/auth/login', { email: user.email, password: `${NEW_PASSWORD} ${winner}` })).statusCode, 200)
})

t.test('ten concurrent verifications with one code: exactly one succeeds', async t => {
  const { app, smtp } = await setup(t, { LOGIN_MAX_FAILURES: '100' })
  const { user } = await register(app, { email: 'once@example.com' })
  const { code } = codeOf((await smtp.waitFor(1))[0] as ReceivedMessage)
  const answers = await Promise.all(Array.from({ length: 10 }, () => post(app, '/auth/email/verify', { email: user.email, code })))
  t.same(answers.map(answer => answer.statusCode).sort(), [200, 400, 400, 400, 400, 400, 400, 400, 400, 400])
  const events = await query(app)`SELECT count(*) AS count FROM auth_events WHERE type = 'email_verified'`
  t.equal(Number(events[0]?.count), 1)
})

t.test('an expired code is refused like a wrong one', async t => {
  const { app, smtp } = await setup(t, { EMAIL_VERIFICATION_TTL: '1s' })
  const { user } = await register(app, { email: 'late@example.com' })
  const { code } = codeOf((await smtp.waitFor(1))[0] as ReceivedMessage)
  await new Promise(resolve => setTimeout(resolve, 1100))
  const late = await post(app, '/auth/email/verify', { email: user.email, code })
  t.equal(late.statusCode, 400)
  t.equal(late.json().code, 'INVALID_CODE')
})

t.test('EMAIL_VERIFICATION=required: no tokens at signup, and no login before the address is proven', async t => {
  const { app, smtp } = await setup(t, { EMAIL_VERIFICATION: 'required' })
  const registered = await post(app, '/auth/register', { email: 'strict@example.com', password: PASSWORD })
  t.equal(registered.statusCode, 201)
  t.notOk('accessToken' in registered.json(), 'no session yet')
  t.equal(registered.json().user.emailVerified, false)
  const wrong = await post(app, '/auth/login', { email: 'strict@example.com', password: 'not the password' })
  t.equal(wrong.statusCode, 401, 'a wrong password learns nothing about verification')
  const early = await post(app, '/auth/login', { email: 'strict@example.com', password: PASSWORD })
  t.equal(early.statusCode, 403)
  t.equal(early.json().code, 'EMAIL_NOT_VERIFIED')
  for (let i = 0; i < 6; i++) {
    const again = await post(app, '/auth/login', { email: 'strict@example.com', password: PASSWORD })
    t.equal(again.statusCode, 403, 'the right password, tried again, does not lock the account')
  }
  const { code } = codeOf((await smtp.waitFor(1))[0] as ReceivedMessage)
  t.equal((await post(app, '/auth/email/verify', { email: 'strict@example.com', code })).statusCode, 200)
  t.equal((await post(app, '/auth/login', { email: 'strict@example.com', password: PASSWORD })).statusCode, 200)
})

t.test('EMAIL_VERIFICATION=off sends nothing at signup', async t => {
  const { app } = await setup(t, { EMAIL_VERIFICATION: 'off' })
  await register(app, { email: 'quiet@example.com' })
  t.equal(await outboxFor(app, 'quiet@example.com'), 0)
})

t.test('a second request within a minute sends nothing more; MAIL_CAPACITY caps the whole service', async t => {
  const { app, smtp } = await setup(t, {
    EMAIL_VERIFICATION: 'off', RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_SIGNUP: '100/1m', RATE_LIMIT_EMAIL: '100/1m', MAIL_CAPACITY: '2/1h'
  })
  await register(app, { email: 'one@example.com' })
  await register(app, { email: 'two@example.com' })
  await register(app, { email: 'three@example.com' })
  // Two at once for one address: of concurrent requests only one sends.
  const twice = await Promise.all([1, 2].map(() => post(app, '/auth/password/forgot', { email: 'one@example.com' })))
  t.same(twice.map(response => response.statusCode), [202, 202])
  await app.emailFlows.settled()
  for (const email of ['two@example.com', 'three@example.com']) {
    t.equal((await post(app, '/auth/password/forgot', { email })).statusCode, 202)
    await app.emailFlows.settled()
  }
  t.equal(await outboxFor(app, 'one@example.com'), 1, 'one message per address and purpose per minute')
  t.equal(await outboxFor(app, 'two@example.com'), 1)
  t.equal(await outboxFor(app, 'three@example.com'), 0, 'past the cap, nothing is sent')
  const events = await query(app)`SELECT reason FROM auth_events WHERE type = 'mail_capacity_reached'`
  t.same(events.map(event => event.reason), ['reset_password'], 'and the audit trail says so')
  t.equal((await smtp.waitFor(2)).length, 2)
})

t.test('a password change sends its owner a notice, with no code in it', async t => {
  const { app, smtp } = await setup(t, { EMAIL_VERIFICATION: 'off' })
  const { user, accessToken } = await register(app, { email: 'notice@example.com', name: 'Nadia' })
  const changed = await app.inject({
    method: 'PATCH', url: '/auth/password', headers: bearer(accessToken), payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }
  })
  t.equal(changed.statusCode, 200)
  const [notice] = await smtp.waitFor(1)
  t.same(notice?.envelope.to, [user.email])
  t.match(notice?.text, /Nadia/)
  t.notMatch(notice?.text, /\b\d{6}\b|#token=/)
  t.notMatch(notice?.text, new RegExp(NEW_PASSWORD))
})

t.test('email change: the password first, a code to the new address, the account moves on confirmation', async t => {
  const { app, smtp } = await setup(t, { EMAIL_VERIFICATION: 'off' })
  const { user, accessToken } = await register(app, { email: 'old@example.com', name: 'Olga' })
  await register(app, { email: 'taken@example.com' })
  const change = (payload: unknown) => app.inject({ method: 'POST', url: '/auth/email/change', headers: bearer(accessToken), payload: payload as object })

  const wrong = await change({ newEmail: 'new@example.com', password: 'not the password' })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'INVALID_CREDENTIALS')
  const taken = await change({ newEmail: 'Taken@example.com', password: PASSWORD })
  t.equal(taken.statusCode, 409)
  t.equal(taken.json().code, 'EMAIL_TAKEN')
  const same = await change({ newEmail: 'OLD@example.com', password: PASSWORD })
  t.equal(same.statusCode, 400)

  const requested = await change({ newEmail: 'new@example.com', password: PASSWORD })
  t.equal(requested.statusCode, 202)
  const [message] = await smtp.waitFor(1)
  t.same(message?.envelope.to, ['new@example.com'], 'the code goes to the new address')
  const { code, link } = codeOf(message as ReceivedMessage)
  t.match(link, /^https:\/\/auth\.example\.com\/change-email#token=/)
  t.equal((await post(app, '/auth/login', { email: 'old@example.com', password: PASSWORD })).statusCode, 200,
    'until confirmed, the old address logs in')
  t.equal((await post(app, '/auth/login', { email: 'new@example.com', password: PASSWORD })).statusCode, 401)

  const confirm = (payload: unknown, token = accessToken) =>
    app.inject({ method: 'POST', url: '/auth/email/change/confirm', headers: bearer(token), payload: payload as object })
  const other = await register(app, { email: 'other@example.com' })
  t.equal((await confirm({ code }, other.accessToken)).statusCode, 400, 'another account cannot use the code')
  const confirmed = await confirm({ code })
  t.equal(confirmed.statusCode, 200)
  t.match(confirmed.json(), { id: user.id, email: 'new@example.com', emailVerified: true })
  const [, notice] = await smtp.waitFor(2)
  t.same(notice?.envelope.to, ['old@example.com'], 'the old address hears of it')
  t.match(notice?.text, /new@example\.com/)
  t.equal((await post(app, '/auth/login', { email: 'new@example.com', password: PASSWORD })).statusCode, 200)
  t.equal((await post(app, '/auth/login', { email: 'old@example.com', password: PASSWORD })).statusCode, 401)
  t.equal((await confirm({ code })).statusCode, 400, 'a code works once')
  const events = await query(app)`SELECT type FROM auth_events WHERE type IN ('email_change_requested', 'email_changed')`
  t.equal(events.length, 2)
})

t.test('email change by the link\'s token, which only its own account can use', async t => {
  const { app, smtp } = await setup(t, { EMAIL_VERIFICATION: 'off' })
  const first = await register(app, { email: 'first@example.com' })
  const second = await register(app, { email: 'second@example.com' })
  await app.inject({ method: 'POST', url: '/auth/email/change', headers: bearer(first.accessToken), payload: { newEmail: 'moved@example.com', password: PASSWORD } })
  const { token } = codeOf((await smtp.waitFor(1))[0] as ReceivedMessage)
  const stolen = await app.inject({ method: 'POST', url: '/auth/email/change/confirm', headers: bearer(second.accessToken), payload: { token } })
  t.equal(stolen.statusCode, 400)
  const own = await app.inject({ method: 'POST', url: '/auth/email/change/confirm', headers: bearer(first.accessToken), payload: { token } })
  t.equal(own.statusCode, 200, 'the link still works for its own account')
  t.equal(own.json().email, 'moved@example.com')
  const anonymous = await post(app, '/auth/email/change/confirm', { token })
  t.equal(anonymous.statusCode, 401)
})

t.test('with the SMTP server down, forgot still answers 202 at once, and the message arrives, once, when it is up', async t => {
  const port = await freePort()
  const app = await build(t, { SMTP_URL: `smtp://127.0.0.1:${port}`, EMAIL_VERIFICATION: 'off' })
  quickRetries(app)
  await register(app, { email: 'patient@example.com' })
  const forgot = await post(app, '/auth/password/forgot', { email: 'patient@example.com' })
  t.equal(forgot.statusCode, 202)
  await app.emailFlows.settled()
  await eventually(async () => Number((await query(app)`SELECT attempts FROM mail_outbox`)[0]?.attempts) >= 1)
  const smtp = await smtpServer(t, port)
  const [message] = await smtp.waitFor(1)
  t.same(message?.envelope.to, ['patient@example.com'])
  t.ok(codeOf(message as ReceivedMessage).code)
  await eventually(async () => (await query(app)`SELECT sent_at FROM mail_outbox`)[0]?.sent_at !== null)
  t.equal(smtp.messages.length, 1, 'sent exactly once')
})
