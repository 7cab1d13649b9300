import t, { type Test } from 'tap'
import { build, PASSWORD, register } from '../helper.js'
import { freePort, smtpServer } from '../helpers/smtp.js'
import { closeBrowser, newPage, SKIP } from './browser.js'

t.teardown(closeBrowser)

/** The app listening where PUBLIC_URL says, so that the links of its messages open it. */
async function listening (t: Test, env: Record<string, string> = {}) {
  const smtp = await smtpServer(t)
  const port = await freePort()
  const base = `http://localhost:${port}`
  const app = await build(t, { SMTP_URL: smtp.url, PUBLIC_URL: base, ...env })
  await app.listen({ port, host: '127.0.0.1' })
  return { app, smtp, base }
}

function linkIn (text: string): string {
  const link = /(http:\/\/localhost:\d+\/\S+#token=[A-Za-z0-9_-]+)/.exec(text)?.[1]
  if (link === undefined) throw new Error(`no link in: ${text}`)
  return link
}

t.test('forgot the password: the page, the message, its link, a new password, signed in with it', { skip: SKIP }, async t => {
  const { app, smtp, base } = await listening(t, { EMAIL_VERIFICATION: 'off' })
  await register(app, { email: 'grace@example.com' })
  const page = await newPage(t)

  await page.goto(`${base}/login`)
  await page.click('text=Forgot your password?')
  await page.waitForURL(`${base}/forgot-password`)
  await page.fill('#email', 'grace@example.com')
  await page.click('button[type=submit]')
  await page.waitForSelector('#done:not([hidden])')

  const [message] = await smtp.waitFor(1)
  const link = linkIn(message?.text ?? '')
  await page.goto(link)
  t.equal(new URL(page.url()).hash, '', 'the token is taken out of the address bar')
  t.ok(await page.isHidden('#by-code'), 'with the link, no code to type')
  await page.fill('#newPassword', 'a brand new passphrase')
  await page.fill('#confirmNewPassword', 'a brand new passphrase')
  await page.click('button[type=submit]')
  await page.waitForSelector('#done:not([hidden])')

  await page.click('#done a')
  await page.waitForURL(`${base}/login`)
  await page.fill('#identifier', 'grace@example.com')
  await page.fill('#password', 'a brand new passphrase')
  await page.click('button[type=submit]')
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#signed-in:not([hidden])')
  t.equal(await page.textContent('#user-email'), 'grace@example.com', 'signed in with the new password')
})

t.test('verification: the home page says the address is unverified; the link\'s page verifies it on a click', { skip: SKIP }, async t => {
  const { smtp, base } = await listening(t)
  const page = await newPage(t)
  await page.goto(`${base}/register`)
  await page.fill('#email', 'ada@example.com')
  await page.fill('#password', PASSWORD)
  await page.fill('#confirmPassword', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForURL(`${base}/`)
  await page.waitForSelector('#unverified:not([hidden])')

  const [message] = await smtp.waitFor(1)
  const link = linkIn(message?.text ?? '')
  t.match(link, /\/verify-email#token=/)
  const scanner = await newPage(t)
  await scanner.goto(link)
  await scanner.waitForSelector('#by-link:not([hidden])')
  t.ok(await scanner.isHidden('#done'), 'opening the link alone verifies nothing')

  await page.goto(link)
  await page.click('#confirm')
  await page.waitForSelector('#done:not([hidden])')
  await page.goto(`${base}/`)
  await page.waitForSelector('#signed-in:not([hidden])')
  t.ok(await page.isHidden('#unverified'), 'the home page no longer asks')
  t.equal(await scanner.isVisible('#by-link'), true)
})
