/**
 * The OpenAPI document of the default configuration (no COMPAT_PROFILE), exactly as /docs/json serves it:
 * what Spectral lints and the typed client is generated from. `node --import tsx scripts/openapi.ts <file>`
 * writes it to a file.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

/** Only what building the app needs: every setting the document shows keeps its default. */
const ENV = {
  DATABASE_URL: ':memory:',
  JWT_SECRET: 'openapi-document-secret-of-at-least-32-bytes',
  HASH_WORKERS: '1',
  LOG_LEVEL: 'silent',
  MAIL_DIR: join(tmpdir(), 'auth-openapi-mail')
}

export async function openapiDocument (): Promise<Record<string, unknown>> {
  const app = await buildApp(loadConfig(ENV), { logger: false })
  try {
    await app.ready()
    return app.swagger() as unknown as Record<string, unknown>
  } finally {
    await app.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2]
  if (file === undefined) throw new Error('usage: scripts/openapi.ts <file>')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(await openapiDocument(), null, 2)}\n`)
}
