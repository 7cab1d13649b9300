/**
 * A typed client of the service's API: openapi-fetch over the types openapi-typescript generates from the
 * OpenAPI document (client/schema.d.ts; `npm run client:generate` after a route or schema changes).
 */
import createClient, { type ClientOptions } from 'openapi-fetch'
import type { paths } from './schema.js'

export type { components, operations, paths } from './schema.js'

/** A client of the service at `baseUrl` (e.g. `https://auth.example.com`); every path, body and answer is typed. */
export function createAuthClient (baseUrl: string, options: Omit<ClientOptions, 'baseUrl'> = {}) {
  return createClient<paths>({ ...options, baseUrl })
}

export type AuthClient = ReturnType<typeof createAuthClient>
