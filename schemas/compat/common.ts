/** What the compatibility profiles share: their bodies accept what the older APIs accepted. */
import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox'
import { Email, NewEmail } from '../common.js'

/**
 * A request body of an older API. Unknown fields are accepted and ignored, as Django REST framework,
 * Flask, Spring (Jackson) and NestJS (ValidationPipe without `whitelist`) all did: an old client that
 * sends one more field keeps working. Nothing but the named fields reaches the service.
 */
export function LegacyBody<T extends TProperties> (properties: T, options: { examples?: unknown[] } = {}): TObject<T> {
  return Type.Object(properties, { additionalProperties: true, ...options })
}

/** The older APIs' email fields, without the surrounding-whitespace note of the service's own. */
export const LegacyNewEmail = Type.String({ ...NewEmail, description: 'Email address; compared case-insensitively.' })
export const LegacyEmail = Type.String({ ...Email, description: 'Email address; compared case-insensitively.' })

/** `/password` → `password`: the field a validation detail names, as the older APIs name fields. */
export function fieldOf (path: string): string {
  return path.replace(/^\//, '').replaceAll('/', '.') || 'body'
}

/** A profile's refresh, as /docs describes it: the same rotation and reuse detection as the service's own. */
export const ROTATING_REFRESH = 'A new access token and a new refresh token; the one sent is spent. A spent token ' +
  'sent again by another client, or after the grace window, ends its session.'

/** What any route with a body can answer before its handler runs. */
export const LEGACY_BODY_ERRORS = {
  413: 'The body is larger than 16 KiB.',
  415: 'The body is not `application/json`.'
}

/** What a route that hashes a password answers when the hashing threads are saturated. */
export const LEGACY_OVERLOADED = { 503: 'The service is busy hashing passwords; retry after `Retry-After` seconds.' }

/** A profile's error responses for /docs: its one error shape, described by each status's reason. */
export function legacyErrors<T extends TSchema> (shape: T, reasons: Record<number, string>): Record<number, T> {
  const all: Record<number, string> = {
    ...reasons,
    429: 'Too many requests from this client, or failed logins for this account; retry after `Retry-After` seconds.',
    500: 'Unexpected failure; the detail is in the server log under the request id.'
  }
  return Object.fromEntries(Object.entries(all).map(([status, description]) => [status, { ...shape, description }]))
}
