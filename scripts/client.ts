/**
 * The typed client's types, generated from the OpenAPI document by openapi-typescript.
 * `client.ts generate` writes client/schema.d.ts; `client.ts check` fails when the committed file is not
 * what the live document generates (a route or schema changed without regenerating).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript'
import { openapiDocument } from './openapi.js'

const SCHEMA_FILE = fileURLToPath(new URL('../client/schema.d.ts', import.meta.url))

async function generate (): Promise<string> {
  // The document is the service's own, already checked by Spectral: its shape is openapi-typescript's input.
  const ast = await openapiTS(await openapiDocument() as unknown as Parameters<typeof openapiTS>[0])
  return COMMENT_HEADER + astToString(ast)
}

const mode = process.argv[2]
if (mode === 'generate') {
  writeFileSync(SCHEMA_FILE, await generate())
} else if (mode === 'check') {
  const committed = readFileSync(SCHEMA_FILE, 'utf8')
  if (committed !== await generate()) {
    console.error('client/schema.d.ts does not match the OpenAPI document: run npm run client:generate, and commit it.')
    process.exitCode = 1
  }
} else {
  throw new Error('usage: scripts/client.ts generate|check')
}
