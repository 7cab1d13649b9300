/** What the compatibility profiles share: their bodies accept what the older APIs accepted. */
import { type TObject, type TProperties, Type } from '@sinclair/typebox'
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
