/** Refresh tokens: opaque 256-bit random strings, of which only a SHA-256 digest is ever stored. */
import { createHash, randomBytes } from 'node:crypto'

export function newRefreshToken (): string {
  return randomBytes(32).toString('base64url')
}

/**
 * A fast digest is enough here: the token has 256 bits of entropy, so unlike a password it
 * cannot be guessed from its digest, and look-ups stay a single indexed equality match.
 */
export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
