/** Refresh tokens: opaque 256-bit random strings, of which only a SHA-256 digest is ever stored. */
import { createHash, createHmac, randomBytes } from 'node:crypto'

export function newRefreshToken (): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The token that replaces `parent`: an HMAC of it under a server key, so it can be handed out again
 * inside the grace window without being stored, and is unguessable without the key.
 */
export function childRefreshToken (key: string, parent: string): string {
  return createHmac('sha256', key).update(parent).digest('base64url')
}

/** A fast digest is enough: with 256 bits of entropy, unlike a password, the token cannot be guessed from it. */
export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
