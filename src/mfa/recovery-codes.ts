/** Recovery codes: ten single-use codes of 50 random bits each, written `xxxxx-xxxxx` in Crockford's base32. */
import { randomInt } from 'node:crypto'

export const RECOVERY_CODE_COUNT = 10
/** Crockford's alphabet: no I, L, O or U, so nothing is misread when typed from paper. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

export function newRecoveryCodes (): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
    return `${chars.slice(0, 5)}-${chars.slice(5)}`
  })
}

/** A typed code as it was issued: case, spaces and dashes do not matter; O, I and L read as 0, 1 and 1. */
export function normalizeRecoveryCode (typed: string): string | undefined {
  const chars = typed.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1')
  if (chars.length !== 10 || [...chars].some(char => !ALPHABET.includes(char))) return undefined
  return `${chars.slice(0, 5)}-${chars.slice(5)}`
}
