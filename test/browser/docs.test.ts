import type { Page } from 'playwright-core'
import t from 'tap'
import { build, listen, PASSWORD } from '../helper.js'
import { closeBrowser, newPage, SKIP } from './browser.js'

t.teardown(closeBrowser)

/** Opens one operation, presses "Try it out", optionally replaces the JSON body, executes it and returns the status shown. */
async function tryItOut (page: Page, operationId: string, body?: unknown): Promise<string> {
  const operation = page.locator(`#${operationId}`)
  await operation.locator('.opblock-summary').first().click()
  await operation.locator('button.try-out__btn').click()
  if (body !== undefined) await operation.locator('textarea.body-param__text').fill(JSON.stringify(body))
  await operation.locator('button.execute').click()
  const status = operation.locator('.live-responses-table .response .response-col_status').first()
  await status.waitFor()
  return (await status.innerText()).trim()
}

t.test('/docs: Swagger UI loads, and "Try it out" registers, logs in, authorizes and reads /auth/me', { skip: SKIP }, async t => {
  const app = await build(t)
  const base = await listen(app)
  const page = await newPage(t)
  const violations: string[] = []
  page.on('console', message => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()) })

  await page.goto(`${base}/docs`)
  await page.waitForSelector('.swagger-ui .information-container')
  t.match(await page.textContent('.swagger-ui .title'), /Auth service/)

  const account = { email: 'docs.reader@example.com', password: PASSWORD }
  t.equal(await tryItOut(page, 'operations-auth-register', account), '201')
  t.equal(await tryItOut(page, 'operations-auth-login', account), '200')
  const body = await page.locator('#operations-auth-login .live-responses-table .response-col_description pre').first().innerText()
  const { accessToken } = JSON.parse(body)
  t.type(accessToken, 'string', 'the login answer is shown in the page')

  await page.click('.swagger-ui button.authorize')
  await page.locator('.modal-ux input').first().fill(accessToken)
  // The first scheme is bearerAuth (adminBearerAuth follows it, for the admin API).
  await page.locator('.modal-ux button.modal-btn.auth.authorize').first().click()
  await page.locator('.modal-ux button.btn-done').first().click()
  t.equal(await tryItOut(page, 'operations-auth-getMe'), '200')
  t.same(violations, [], 'no content security policy violation')
})
