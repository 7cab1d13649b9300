import t from 'tap'
import type { CDPSession, Page } from 'playwright-core'
import { build, PASSWORD } from '../helper.js'
import { freePort } from '../helpers/smtp.js'
import { closeBrowser, newPage, SKIP } from './browser.js'

t.teardown(closeBrowser)

/**
 * Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain): a platform authenticator that
 * holds discoverable credentials, verifies its user and signs for real, with the user's presence simulated.
 */
async function virtualAuthenticator (page: Page): Promise<{ session: CDPSession, authenticatorId: string }> {
  const session = await page.context().newCDPSession(page)
  await session.send('WebAuthn.enable')
  const { authenticatorId } = await session.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true
    }
  })
  return { session, authenticatorId }
}

/** The signed-in user as the page's own script sees it (its access token stays in the page). */
async function me (page: Page): Promise<{ email: string, amr: string[] }> {
  return await page.evaluate(async () => {
    // app.js's helper, a global of the page's scripts.
    const result = await (globalThis as unknown as { api: (path: string, options: object) => Promise<{ data: unknown }> })
      .api('/me', { bearer: true })
    return result.data as { email: string, amr: string[] }
  })
}

t.test('add a passkey on /account, log out, sign in with it on /login: the session is the passkey\'s', { skip: SKIP }, async t => {
  // The default PUBLIC_URL (the loopback address): passkeys are bound to localhost, where the browser goes.
  const port = await freePort()
  const app = await build(t, { PORT: String(port), HOST: '127.0.0.1' })
  await app.listen({ port, host: '127.0.0.1' })
  const base = `http://localhost:${port}`
  const page = await newPage(t)
  const { session, authenticatorId } = await virtualAuthenticator(page)

  await page.goto(`${base}/register`)
  await page.fill('#email', 'ada@example.com')
  await page.fill('#password', PASSWORD)
  await page.fill('#confirmPassword', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForURL(`${base}/`)
  await page.goto(`${base}/account`)
  await page.waitForSelector('#passkeys:not([hidden])')
  t.ok(await page.isVisible('#passkeys-none'), 'no passkeys yet')

  await page.click('#passkey-add')
  await page.fill('#passkey-name', 'Test laptop')
  await page.click('#passkey-add-form button[type=submit]')
  // A session signed in with the password alone proves it is the owner's before a new way in is added.
  await page.waitForSelector('#passkey-password-field:not([hidden])')
  t.match(await page.textContent('#passkey-add-form-error'), /Enter your password/)
  await page.fill('#passkey-password', PASSWORD)
  await page.click('#passkey-add-form button[type=submit]')
  await page.waitForFunction(() => document.querySelectorAll('#passkey-list li').length === 1)
  t.match(await page.textContent('#passkey-list li'), /^Test laptop this authenticator only · added .* · never used/)
  const { credentials } = await session.send('WebAuthn.getCredentials', { authenticatorId })
  t.equal(credentials.length, 1, 'the authenticator holds the new passkey')
  t.equal(credentials[0]?.isResidentCredential, true, 'discoverable: it names the account itself at sign-in')
  t.equal(credentials[0]?.rpId, 'localhost')

  await page.click('#logout')
  await page.waitForSelector('#signed-out:not([hidden])')

  // The login page asks for passkeys through the email field's autofill as well (conditional mediation):
  // the virtual authenticator answers at once, as a user picking the passkey from the list would.
  await page.goto(`${base}/login`)
  await page.waitForURL(`${base}/`)
  await page.goto(`${base}/account`)
  await page.waitForSelector('#account:not([hidden])')
  t.equal(await page.textContent('#user-amr'), 'Passkey, with your PIN or biometrics')
  const signedIn = await me(page)
  t.equal(signedIn.email, 'ada@example.com', 'the passkey named the account: no email was typed')
  t.same(signedIn.amr, ['hwk', 'user', 'mfa'], 'a device-bound passkey that verified its user: two factors')
  await page.waitForFunction(() => /last used/.test(document.querySelector('#passkey-list li')?.textContent ?? ''))

  // From here, a browser without passkey autofill: the button.
  await page.addInitScript(() => {
    Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false })
  })
  await page.click('#logout')
  await page.waitForSelector('#signed-out:not([hidden])')
  await page.goto(`${base}/login`)
  await page.waitForSelector('#passkey-login:not([hidden])')
  await page.click('#passkey-button')
  await page.waitForURL(`${base}/`)
  await page.goto(`${base}/account`)
  await page.waitForSelector('#passkeys:not([hidden])')
  t.same((await me(page)).amr, ['hwk', 'user', 'mfa'], 'the button signs in with the same passkey')

  // Rename and delete it; this session proved two factors, so no password is asked.
  await page.getByRole('button', { name: 'Rename Test laptop' }).click()
  await page.fill('#passkey-new-name', 'Old laptop')
  await page.click('#passkey-rename-form button[type=submit]')
  await page.waitForFunction(() => /^Old laptop/.test(document.querySelector('#passkey-list li')?.textContent ?? ''))
  await page.getByRole('button', { name: 'Delete Old laptop' }).click()
  await page.waitForSelector('#passkeys-none:not([hidden])')

  // The authenticator still holds it, but it signs no one in any more.
  await page.click('#logout')
  await page.waitForSelector('#signed-out:not([hidden])')
  await page.goto(`${base}/login`)
  await page.waitForSelector('#passkey-login:not([hidden])')
  await page.click('#passkey-button')
  await page.waitForSelector('#form-error:not([hidden])')
  t.match(await page.textContent('#form-error'), /The passkey could not be verified/)
  t.equal(page.url(), `${base}/login`)
})
