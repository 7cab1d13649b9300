/**
 * Real-browser tests: playwright-core driving Debian's Chromium (`apt-get install -y chromium`).
 * Without it the tests are skipped, saying why; `.ci/run` installs it, so CI always runs them.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const SKIP = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM} (apt-get install -y chromium); .ci/run installs it`
const FAILURES = join(import.meta.dirname, '..', '..', '.tap', 'screenshots')

interface BrowserTest {
  name: string
  passing: () => boolean
  teardown: (fn: () => unknown) => void
}

let shared: Promise<Browser> | undefined

/** One Chromium per test file, closed when the file's tests are done. */
export function launch (): Promise<Browser> {
  shared ??= chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  return shared
}

/** A fresh page (its own cookies and storage); when the test fails, a screenshot is saved under .tap/screenshots/. */
export async function newPage (t: BrowserTest): Promise<Page> {
  const browser = await launch()
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  t.teardown(async () => {
    if (!t.passing()) {
      mkdirSync(FAILURES, { recursive: true })
      await page.screenshot({ path: join(FAILURES, `${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}.png`), fullPage: true }).catch(() => {})
    }
    await context.close()
  })
  return page
}

export async function closeBrowser (): Promise<void> {
  if (shared !== undefined) await (await shared).close()
}
