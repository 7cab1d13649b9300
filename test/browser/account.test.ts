import t from 'tap'
import type { Page } from 'playwright-core'
import { build, listen, PASSWORD, register } from '../helper.js'
import { freePort, smtpServer } from '../helpers/smtp.js'
import { authenticator, totpCode } from '../helpers/totp.js'
import { closeBrowser, newPage, SKIP } from './browser.js'

t.teardown(closeBrowser)

const SECOND_DEVICE = 'Second Device/1.0 (the test\'s own fetch)'

/** Creates an account on /register (signed in, in cookie mode), then opens /account through the home page's link. */
async function registerAndOpenAccount (page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/register`)
  await page.fill('#email', email)
  await page.fill('#username', 'grace')
  await page.fill('#name', 'Grace Hopper')
  await page.fill('#password', PASSWORD)
  await page.fill('#confirmPassword', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForURL(`${base}/`)
  await page.click('a[href="/account"]')
  await page.waitForURL(`${base}/account`)
  await page.waitForSelector('#account:not([hidden])')
}

/** A second session of the user, started over HTTP from Node as another device would: its access token. */
async function logInElsewhere (base: string, email: string, password = PASSWORD): Promise<string> {
  const response = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': SECOND_DEVICE },
    body: JSON.stringify({ email, password })
  })
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`)
  return (await response.json() as { accessToken: string }).accessToken
}

async function meStatus (base: string, accessToken: string): Promise<number> {
  return (await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status
}

/** The session list as shown: one line of text per session. */
async function sessionRows (page: Page): Promise<string[]> {
  return await page.locator('#sessions li').allTextContents()
}

t.test('/account shows who is signed in and where, and ends another device\'s session', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const page = await newPage(t)
  await registerAndOpenAccount(page, base, 'grace@example.com')

  t.same(await page.locator('.profile dd:visible').allTextContents(),
    ['Grace Hopper', 'grace@example.com', 'grace', 'user', 'Not yet', 'Password'])
  const rows = await sessionRows(page)
  t.equal(rows.length, 1, 'one session: this browser\'s')
  t.match(rows[0], /HeadlessChrome.*this device.*127\.0\.0\.1 · last used /)

  const elsewhere = await logInElsewhere(base, 'grace@example.com')
  await page.reload()
  await page.waitForSelector('#account:not([hidden])')
  await page.waitForFunction(() => document.querySelectorAll('#sessions li').length === 2)
  const other = page.locator('#sessions li', { hasText: SECOND_DEVICE })
  t.notMatch(await other.textContent(), /this device/, 'the other session is not marked as this one')
  await other.getByRole('button', { name: /^End the session of Second Device/ }).click()
  await page.waitForFunction(() => document.querySelectorAll('#sessions li').length === 1)
  t.match((await sessionRows(page))[0], /this device/, 'this session is left')
  t.equal(await meStatus(base, elsewhere), 401, 'the other device is signed out at once')

  await page.locator('#sessions li', { hasText: 'this device' }).getByRole('button', { name: 'Log out of this device' }).click()
  await page.waitForSelector('#signed-out:not([hidden])')
  t.ok(await page.isHidden('#account'))
  await page.reload()
  await page.waitForSelector('#signed-out:not([hidden])')
  t.ok(await page.isVisible('a[href="/login"]'), 'ending this device\'s session is logging out')
})

t.test('/account changes the password, with each error next to its field', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const page = await newPage(t)
  await registerAndOpenAccount(page, base, 'ada@example.com')
  const elsewhere = await logInElsewhere(base, 'ada@example.com')

  async function change (current: string, next: string, again: string): Promise<void> {
    await page.fill('#currentPassword', current)
    await page.fill('#newPassword', next)
    await page.fill('#confirmNewPassword', again)
    await page.click('#password-form button[type=submit]')
  }

  await change(PASSWORD, 'short', 'short')
  await page.waitForSelector('#newPassword-error:not([hidden])')
  t.equal(await page.textContent('#newPassword-error'), 'The new password must be at least 12 characters long.')
  t.equal(await page.getAttribute('#newPassword', 'aria-invalid'), 'true')

  await change(PASSWORD, 'password123456!', 'password123456!')
  await page.waitForFunction(() => document.querySelector('#newPassword-error')?.textContent?.startsWith('This password is too common'))
  t.ok(await page.isHidden('#password-form-error'), 'a listed password is refused beside the new password')

  await change('not the right password', 'a brand new passphrase', 'a brand new passphrase')
  await page.waitForSelector('#currentPassword-error:not([hidden])')
  t.equal(await page.textContent('#currentPassword-error'), 'The current password is wrong.')
  t.ok(await page.isHidden('#newPassword-error'), 'the earlier error is gone')
  t.equal(await page.getAttribute('#currentPassword', 'aria-invalid'), 'true')

  await change(PASSWORD, 'a brand new passphrase', 'another passphrase')
  await page.waitForSelector('#confirmNewPassword-error:not([hidden])')
  t.equal(await page.textContent('#confirmNewPassword-error'), 'The repeated password must be the same as the password.')
  t.ok(await page.isHidden('#password-form-error'), 'nothing above the button: every error has its field')

  await change(PASSWORD, 'a brand new passphrase', 'a brand new passphrase')
  await page.waitForSelector('#password-done:not([hidden])')
  t.equal(await page.inputValue('#currentPassword'), '', 'the form is emptied')
  t.equal(await meStatus(base, elsewhere), 401, 'the other device, which knew the old password, is signed out')
  await page.waitForFunction(() => document.querySelectorAll('#sessions li').length === 1)

  await page.click('#logout')
  await page.waitForSelector('#signed-out:not([hidden])')
  await page.goto(`${base}/login`)
  await page.fill('#identifier', 'ada@example.com')
  await page.fill('#password', 'a brand new passphrase')
  await page.click('#form button[type=submit]')
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#signed-in:not([hidden])')
  t.equal(await page.textContent('#user-email'), 'ada@example.com', 'the new password signs in')
})

t.test('/account changes the email with the code of the message sent to the new address', { skip: SKIP }, async t => {
  const smtp = await smtpServer(t)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const app = await build(t, { SMTP_URL: smtp.url, PUBLIC_URL: base, EMAIL_VERIFICATION: 'off' })
  await app.listen({ port, host: '127.0.0.1' })
  const page = await newPage(t)
  await registerAndOpenAccount(page, base, 'grace@example.com')

  await page.fill('#newEmail', 'grace.hopper@example.com')
  await page.fill('#email-password', 'not the right password')
  await page.click('#email-form button[type=submit]')
  await page.waitForSelector('#email-password-error:not([hidden])')
  t.equal(await page.textContent('#email-password-error'), 'The password is wrong.')

  await page.fill('#email-password', PASSWORD)
  await page.click('#email-form button[type=submit]')
  await page.waitForSelector('#email-confirm-form:not([hidden])')
  t.ok(await page.isHidden('#email-form'))
  const messages = await smtp.waitFor(1)
  const message = messages.find(message => message.to.includes('grace.hopper@example.com'))
  const code = /^\s*(\d{6})\s*$/m.exec(message?.text ?? '')?.[1]
  if (code === undefined) throw new Error(`no code in: ${message?.text}`)
  await page.fill('#email-code', code === '000000' ? '111111' : '000000')
  await page.click('#email-confirm-form button[type=submit]')
  await page.waitForSelector('#email-code-error:not([hidden])')
  t.match(await page.textContent('#email-code-error'), /^The code or link is wrong/)

  await page.fill('#email-code', code)
  await page.click('#email-confirm-form button[type=submit]')
  await page.waitForSelector('#email-done:not([hidden])')
  await page.waitForFunction(() => document.querySelector('#user-email')?.textContent === 'grace.hopper@example.com')
  t.equal(await page.textContent('#user-verified'), 'Yes', 'the new address is proven by its code')
})

/** A code that is not `code`: the test's wrong guess. */
function wrong (code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0')
}

t.test('/account turns two-factor on; /login then asks for a code; another device signs in with a recovery code', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const page = await newPage(t)
  await registerAndOpenAccount(page, base, 'grace@example.com')
  await page.waitForSelector('#mfa-off:not([hidden])')
  t.equal(await page.textContent('#user-amr'), 'Password')

  await page.click('#mfa-start')
  await page.fill('#enroll-password', 'not the right password')
  await page.click('#enroll-form button[type=submit]')
  await page.waitForSelector('#enroll-password-error:not([hidden])')
  t.equal(await page.textContent('#enroll-password-error'), 'The password is wrong.')
  await page.fill('#enroll-password', PASSWORD)
  await page.click('#enroll-form button[type=submit]')
  await page.waitForSelector('#confirm-form:not([hidden])')
  const secret = (await page.textContent('#totp-secret')) ?? ''
  t.match(secret, /^[A-Z2-7]{16,}=*$/, 'the key, for typing into the app by hand')
  t.match(await page.getAttribute('#totp-qr', 'src'), /^data:image\/svg\+xml;base64,/)
  t.ok(await page.$eval('#totp-qr', (image: HTMLImageElement) => image.complete && image.naturalWidth > 0),
    'the QR code is drawn: the pages\' CSP allows data: images')
  const nextCode = authenticator(secret)
  const wrongCode = wrong(totpCode(secret))

  await page.fill('#confirm-code', wrongCode)
  await page.click('#confirm-form button[type=submit]')
  await page.waitForSelector('#confirm-code-error:not([hidden])')
  t.equal(await page.textContent('#confirm-code-error'), 'The code is wrong or was already used. Enter the one your app shows now.')
  await page.fill('#confirm-code', nextCode())
  await page.click('#confirm-form button[type=submit]')
  await page.waitForSelector('#recovery-codes:not([hidden])')
  const recoveryCodes = await page.locator('#recovery-list li').allTextContents()
  t.equal(recoveryCodes.length, 10, 'ten recovery codes, shown once')
  t.equal(new Set(recoveryCodes).size, 10)
  t.match(await page.textContent('#recovery-codes'), /will not be shown again/)
  await page.click('#copy-codes')
  await page.waitForSelector('#copy-status:not([hidden])')
  await page.waitForSelector('#mfa-on:not([hidden])')
  t.equal(await page.textContent('#recovery-left'), '10')
  t.ok(await page.isHidden('#mfa-off'))
  await page.waitForFunction(() => document.querySelector('#user-amr')?.textContent === 'Password + authenticator code')
  t.pass('after turning it on, this session counts as signed in with both factors')

  // The access token was refreshed after the confirmation: a step-up operation passes the MFA_REQUIRED
  // check and reaches the code's (a wrong code here: the app has only one more code within the window).
  await page.fill('#recovery-code', wrongCode)
  await page.click('#recovery-form button[type=submit]')
  await page.waitForSelector('#recovery-code-error:not([hidden])')
  t.equal(await page.textContent('#recovery-code-error'), 'The code is wrong or was already used. Enter the one your app shows now.')
  t.ok(await page.isHidden('#recovery-form-error'), 'not refused for a missing second factor')

  // Another device: the password, then a recovery code.
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': SECOND_DEVICE },
    body: JSON.stringify({ email: 'grace@example.com', password: PASSWORD })
  })
  const challenge = await login.json() as { mfaRequired: boolean, mfaToken: string, accessToken?: string }
  t.match(challenge, { mfaRequired: true, mfaToken: String })
  t.notOk('accessToken' in challenge, 'no token for the password alone')
  const verify = await fetch(`${base}/auth/mfa/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': SECOND_DEVICE },
    body: JSON.stringify({ mfaToken: challenge.mfaToken, recoveryCode: recoveryCodes[0] })
  })
  t.equal(verify.status, 200, 'a recovery code stands in for the app')
  const elsewhere = (await verify.json() as { accessToken: string }).accessToken

  await page.click('#logout')
  await page.waitForSelector('#signed-out:not([hidden])')
  await page.goto(`${base}/login`)
  await page.fill('#identifier', 'grace@example.com')
  await page.fill('#password', PASSWORD)
  await page.click('#form button[type=submit]')
  await page.waitForSelector('#second-factor:not([hidden])')
  t.ok(await page.isHidden('#form'), 'the password form gives way to the code')
  t.equal(await page.getAttribute('#code', 'autocomplete'), 'one-time-code')
  t.equal(await page.getAttribute('#code', 'inputmode'), 'numeric')
  await page.fill('#code', wrongCode)
  await page.click('#second-factor button[type=submit]')
  await page.waitForSelector('#code-error:not([hidden])')
  t.equal(await page.textContent('#code-error'), 'The code is wrong or was already used. Try again.')

  await page.click('#use-recovery')
  t.equal(await page.textContent('#code-label'), 'Recovery code')
  t.equal(await page.getAttribute('#code', 'inputmode'), 'text')
  t.ok(await page.isHidden('#code-error'), 'switching clears the error')
  await page.click('#use-recovery')
  t.equal(await page.textContent('#code-label'), 'Code from your authenticator app')
  await page.fill('#code', nextCode())
  await page.click('#second-factor button[type=submit]')
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#signed-in:not([hidden])')

  await page.click('a[href="/account"]')
  await page.waitForSelector('#account:not([hidden])')
  t.equal(await page.textContent('#user-amr'), 'Password + authenticator code')
  await page.waitForSelector('#mfa-on:not([hidden])')
  t.equal(await page.textContent('#recovery-left'), '9', 'the recovery code used is spent')
  await page.waitForFunction(() => document.querySelectorAll('#sessions li').length === 2)
  await page.locator('#sessions li', { hasText: SECOND_DEVICE }).getByRole('button', { name: /^End the session of Second Device/ }).click()
  await page.waitForFunction(() => document.querySelectorAll('#sessions li').length === 1)
  t.equal(await meStatus(base, elsewhere), 401, 'the other device is signed out')

  // Off, with a recovery code (the app's next code would have to wait for the clock).
  await page.fill('#disable-code', recoveryCodes[1] ?? '')
  await page.click('#disable-form button[type=submit]')
  await page.waitForSelector('#mfa-off:not([hidden])')
  t.ok(await page.isHidden('#mfa-on'))
  t.ok(await page.isVisible('#mfa-start'), 'and it may be turned on again')
})

t.test('/account retries once after a refresh an operation refused for want of the second factor', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const page = await newPage(t)
  await registerAndOpenAccount(page, base, 'grace@example.com')
  await page.waitForSelector('#mfa-off:not([hidden])')
  // Two-factor turned on behind the page's back, with its own access token: that token still says
  // amr ["pwd"], while the session has proven the second factor.
  const secret = await page.evaluate(async password => {
    // @ts-expect-error app.js's token, a global of the page's scripts
    const headers = { authorization: `Bearer ${accessToken as string}`, 'content-type': 'application/json' }
    const enrolled = await fetch('/auth/mfa/totp/enroll', { method: 'POST', headers, body: JSON.stringify({ password }) })
    return (await enrolled.json()).secret as string
  }, PASSWORD)
  const confirmed = await page.evaluate(async code => {
    // @ts-expect-error as above
    const headers = { authorization: `Bearer ${accessToken as string}`, 'content-type': 'application/json' }
    return (await fetch('/auth/mfa/totp/confirm', { method: 'POST', headers, body: JSON.stringify({ code }) })).status
  }, totpCode(secret))
  t.equal(confirmed, 200)

  const statuses: number[] = []
  page.on('response', response => { if (response.url().endsWith('/auth/password')) statuses.push(response.status()) })
  await page.fill('#currentPassword', PASSWORD)
  await page.fill('#newPassword', 'a brand new passphrase')
  await page.click('#password-form button[type=submit]')
  await page.waitForSelector('#password-done:not([hidden])')
  t.same(statuses, [403, 200], 'refused with the old token, done with the refreshed one')

  // A session that has not proven the second factor stays refused: the page says what to do.
  await page.route('**/auth/password', route => route.fulfill({
    status: 403,
    contentType: 'application/json',
    body: JSON.stringify({ statusCode: 403, code: 'MFA_REQUIRED', error: 'Forbidden', message: 'needs the second factor' })
  }))
  await page.fill('#currentPassword', 'a brand new passphrase')
  await page.fill('#newPassword', 'another brand new passphrase')
  await page.click('#password-form button[type=submit]')
  await page.waitForSelector('#password-form-error:not([hidden])')
  t.equal(await page.textContent('#password-form-error'), 'Sign in again with your authenticator code to do this.')
})

t.test('/login goes back to the password when the sign-in attempt has ended', { skip: SKIP }, async t => {
  // Enough failures allowed that the attempt's own limit of tries, not the account's throttle, ends it.
  const app = await build(t, { LOGIN_MAX_FAILURES: '20' })
  const base = await listen(app)
  const { user, accessToken } = await register(app)
  const headers = { authorization: `Bearer ${accessToken}` }
  const { secret } = (await app.inject({ method: 'POST', url: '/auth/mfa/totp/enroll', headers, payload: { password: PASSWORD } })).json()
  const confirmed = await app.inject({ method: 'POST', url: '/auth/mfa/totp/confirm', headers, payload: { code: totpCode(secret) } })
  t.equal(confirmed.statusCode, 200)
  const page = await newPage(t)
  await page.goto(`${base}/login`)
  await page.fill('#identifier', user.email)
  await page.fill('#password', PASSWORD)
  await page.click('#form button[type=submit]')
  await page.waitForSelector('#second-factor:not([hidden])')

  await page.fill('#code', '12345')
  await page.click('#second-factor button[type=submit]')
  await page.waitForSelector('#code-error:not([hidden])')
  t.equal(await page.textContent('#code-error'), 'The code must be the 6 digits your authenticator app shows.')

  const wrongCode = wrong(totpCode(secret))
  let tries = 0
  while (await page.isVisible('#second-factor') && tries < 8) {
    tries += 1
    await page.fill('#code', wrongCode)
    await page.click('#second-factor button[type=submit]')
    await page.waitForFunction(() => document.querySelector('#second-factor button[type=submit]:not(:disabled)') !== null)
  }
  await page.waitForSelector('#form:not([hidden])')
  t.equal(tries, 6, 'five wrong codes, and the sixth try finds the attempt over')
  t.equal(await page.textContent('#form-error'),
    'This sign-in took too long or had too many wrong codes. Log in again with your password.')
  t.equal(await page.inputValue('#password'), '', 'the password is asked again')
})

t.test('/account signed out offers to log in', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const page = await newPage(t)
  await page.goto(`${base}/account`)
  await page.waitForSelector('#signed-out:not([hidden])')
  t.ok(await page.isHidden('#account'))
  t.ok(await page.isVisible('#signed-out a[href="/login"]'))
})
