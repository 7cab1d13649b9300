/** Codes of an authenticator app, computed from the secret the service returned, as the app would. */
import { Secret, TOTP } from 'otpauth'

const PERIOD_MS = 30_000

function step (): number {
  return Math.floor(Date.now() / PERIOD_MS)
}

/** The code of `secret` for the time step `at` (now's by default). */
export function totpCode (secret: string, at = step()): string {
  return new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) })
    .generate({ timestamp: at * PERIOD_MS })
}

/**
 * An app's codes that the service has not accepted yet: an accepted code moves the account past its step, so
 * each call gives the next step's code, from now's on. The service takes up to one step ahead of its clock,
 * so two codes are at hand at once; a test that asks for a third too soon is told so.
 */
export function authenticator (secret: string): () => string {
  let next = step()
  return () => {
    next = Math.max(next, step())
    if (next > step() + 1) throw new Error('no unused code within the window yet: use a recovery code')
    return totpCode(secret, next++)
  }
}
