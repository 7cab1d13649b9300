/** Refresh tokens: opaque 256-bit random strings, of which only a SHA-256 digest is ever stored. */
import { createHash, createHmac, randomBytes } from 'node:crypto'

export function newRefreshToken (): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The token that replaces `parent` at its refresh: an HMAC of the parent under a server key.
 * Being a function of the parent, it can be handed out again to a second caller inside the
 * grace window (two tabs, a retried request) without ever storing it, and it is as
 * unguessable as a random token to anyone without the key.
 */
export function childRefreshToken (key: string, parent: string): string {
  return createHmac('sha256', key).update(parent).digest('base64url')
}

/**
 * A fast digest is enough here: the token has 256 bits of entropy, so unlike a password it
 * cannot be guessed from its digest, and look-ups stay a single indexed equality match.
 */
export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
