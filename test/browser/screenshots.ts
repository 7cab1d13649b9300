/**
 * `npm run screenshots`: the docs' pictures of the home page, the account page and /docs, taken with the
 * browser tests' tooling (Debian's Chromium) against a fresh in-memory service.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { TEST_ENV } from '../helper.js'
import { closeBrowser, launch } from './browser.js'

const folder = join(import.meta.dirname, '..', '..', 'docs')
mkdirSync(folder, { recursive: true })
const app = await buildApp(loadConfig({ ...TEST_ENV, HASH_QUEUE_MAX: '10' }), { logger: false })
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address() as { port: number }
const base = `http://127.0.0.1:${port}`

try {
  const browser = await launch()
  const page = await (await browser.newContext({ viewport: { width: 720, height: 480 } })).newPage()
  await page.goto(`${base}/register`)
  await page.fill('#email', 'grace@example.com')
  await page.fill('#name', 'Grace Hopper')
  await page.fill('#password', 'correct horse battery staple')
  await page.fill('#confirmPassword', 'correct horse battery staple')
  await page.click('button[type=submit]')
  await page.waitForSelector('#signed-in:not([hidden])')
  await page.screenshot({ path: join(folder, 'home.png') })

  await page.goto(`${base}/account`)
  await page.waitForSelector('#account:not([hidden])')
  await page.waitForSelector('#sessions li')
  await page.screenshot({ path: join(folder, 'account.png'), fullPage: true })

  await page.setViewportSize({ width: 1000, height: 700 })
  await page.goto(`${base}/docs`)
  await page.waitForSelector('.swagger-ui .opblock')
  await page.screenshot({ path: join(folder, 'docs.png') })
  console.log('Written: docs/home.png, docs/account.png, docs/docs.png')
} finally {
  await closeBrowser()
  await app.close()
}
