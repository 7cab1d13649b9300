/** How emails and usernames are compared: the keys behind their unique indexes. */
import { invalidInput } from '../errors.js'

const USERNAME_RULE = /^[\p{L}\p{N}_.-][\p{L}\p{M}\p{N}_.-]{2,31}$/u

/** Emails are trimmed and compared case-insensitively. */
export function normalizeEmail (email: string): { email: string, key: string } {
  const trimmed = email.trim()
  return { email: trimmed, key: trimmed.toLowerCase() }
}

/**
 * Usernames are NFKC-normalized, so look-alike forms such as full-width letters collapse into one name.
 * The rule is checked after normalization, which can change a name's length or characters.
 */
export function normalizeUsername (username: string): { username: string, key: string } {
  const normalized = username.normalize('NFKC')
  if (!USERNAME_RULE.test(normalized)) {
    throw invalidInput([
      { path: '/username', message: 'must be 3–32 letters, digits, _, . or - after Unicode normalization' }
    ])
  }
  return { username: normalized, key: usernameKey(normalized) }
}

/**
 * The case-insensitive key of a username. Upper case last: lower-casing is context-dependent (final ς)
 * and folds less (ß and SS), so lower-then-upper maps every case variant to one key.
 */
export function usernameKey (username: string): string {
  return username.normalize('NFKC').toLowerCase().toUpperCase().normalize('NFKC')
}
