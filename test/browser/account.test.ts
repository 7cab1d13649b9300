import t from 'tap'
import type { Page } from 'playwright-core'
import { build, listen, PASSWORD } from '../helper.js'
import { freePort, smtpServer } from '../helpers/smtp.js'
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
    ['Grace Hopper', 'grace@example.com', 'grace', 'user', 'Not yet'])
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

t.test('/account signed out offers to log in', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const page = await newPage(t)
  await page.goto(`${base}/account`)
  await page.waitForSelector('#signed-out:not([hidden])')
  t.ok(await page.isHidden('#account'))
  t.ok(await page.isVisible('#signed-out a[href="/login"]'))
})
