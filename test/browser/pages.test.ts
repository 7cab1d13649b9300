import t from 'tap'
import { build, listen, PASSWORD, register } from '../helper.js'
import type { Page } from 'playwright-core'
import { closeBrowser, newPage, SKIP } from './browser.js'

t.teardown(closeBrowser)

/** Fills the login form and sends it. */
async function logIn (page: Page, identifier: string, password: string): Promise<void> {
  await page.fill('#identifier', identifier)
  await page.fill('#password', password)
  await page.click('button[type=submit]')
}

t.test('register, see yourself at home, stay signed in across a reload, log out', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const page = await newPage(t)

  await page.goto(`${base}/register`)
  await page.fill('#email', 'grace@example.com')
  await page.fill('#name', 'Grace Hopper')
  await page.fill('#password', PASSWORD)
  await page.fill('#confirmPassword', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#signed-in:not([hidden])')
  t.equal(await page.textContent('#user-name'), 'Grace Hopper')
  t.equal(await page.textContent('#user-email'), 'grace@example.com')
  t.equal(await page.textContent('#user-role'), 'user')

  const cookies = await page.context().cookies()
  t.same(cookies.map(cookie => [cookie.name, cookie.path, cookie.httpOnly, cookie.secure, cookie.sameSite]).sort(), [
    ['refresh_token', '/auth/logout', true, true, 'Strict'],
    ['refresh_token', '/auth/refresh', true, true, 'Strict']
  ], 'the browser holds the refresh token only as HttpOnly cookies of the refresh and logout paths')
  t.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0, 'no token in web storage')

  await page.reload()
  await page.waitForSelector('#signed-in:not([hidden])')
  t.equal(await page.textContent('#user-email'), 'grace@example.com', 'a reload stays signed in through the cookie')

  await page.click('#logout')
  await page.waitForSelector('#signed-out:not([hidden])')
  t.ok(await page.isVisible('a[href="/login"]'), 'signed out: links to log in')
  await page.reload()
  await page.waitForSelector('#signed-out:not([hidden])')
  t.ok(await page.isHidden('#signed-in'), 'still signed out after a reload')
})

t.test('form errors appear next to the form, in plain words', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const { user } = await register(app)
  const page = await newPage(t)

  await page.goto(`${base}/login`)
  await logIn(page, user.email, 'not the right password')
  await page.waitForSelector('#form-error:not([hidden])')
  t.equal(await page.textContent('#form-error'), 'The email, username or password is wrong.')
  t.equal(page.url(), `${base}/login`)

  await logIn(page, user.email, PASSWORD)
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#signed-in:not([hidden])')
  t.equal(await page.textContent('#user-email'), user.email, 'the right password signs in')

  await page.goto(`${base}/register`)
  await page.fill('#email', user.email)
  await page.fill('#password', 'short')
  await page.fill('#confirmPassword', 'short')
  await page.click('button[type=submit]')
  await page.waitForSelector('#password-error:not([hidden])')
  t.equal(await page.textContent('#password-error'), 'The password must be at least 12 characters long.')
  t.equal(await page.getAttribute('#password', 'aria-invalid'), 'true')

  await page.fill('#password', PASSWORD)
  await page.fill('#confirmPassword', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForSelector('#email-error:not([hidden])')
  t.equal(await page.textContent('#email-error'), 'An account with this email already exists. Log in instead?')
})

t.test('a throttled login shows how long to wait', { skip: SKIP }, async t => {
  const app = await build(t, { LOGIN_MAX_FAILURES: '1' })
  const base = await listen(app)
  const { user } = await register(app)
  const page = await newPage(t)
  await page.goto(`${base}/login`)
  await logIn(page, user.email, 'not the right password')
  await page.waitForSelector('#form-error:not([hidden])')
  await page.click('button[type=submit]')
  await page.waitForFunction(() => document.querySelector('#form-error')?.textContent?.startsWith('Too many'))
  // The first wait is 30 s, counted down from the failure that began it.
  t.match(await page.textContent('#form-error'), /^Too many failed attempts for this account\. Try again in (2\d|30) seconds\.$/)
})

t.test('with a profile that owns /auth, the pages work against the service\'s own API at /native/auth', { skip: SKIP }, async t => {
  const app = await build(t, { COMPAT_PROFILE: 'nestjs' })
  const base = await listen(app)
  const page = await newPage(t)

  await page.goto(`${base}/register`)
  await page.fill('#email', 'grace@example.com')
  await page.fill('#password', PASSWORD)
  await page.fill('#confirmPassword', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#signed-in:not([hidden])')
  t.equal(await page.textContent('#user-email'), 'grace@example.com')
  t.same((await page.context().cookies()).map(cookie => cookie.path).sort(), ['/native/auth/logout', '/native/auth/refresh'])

  await page.reload()
  await page.waitForSelector('#signed-in:not([hidden])')
  t.equal(await page.textContent('#user-email'), 'grace@example.com', 'a reload stays signed in through the cookie')
  await page.click('#logout')
  await page.waitForSelector('#signed-out:not([hidden])')

  await page.goto(`${base}/login`)
  await logIn(page, 'grace@example.com', PASSWORD)
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#signed-in:not([hidden])')
  t.equal(await page.textContent('#user-email'), 'grace@example.com', 'the login page signs in there too')
})
