/** TOTP (RFC 6238) as every authenticator app speaks it: SHA-1, 6 digits, 30-second steps. */
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'

const PERIOD = 30
/** Steps accepted either side of now: a phone's clock a little off, a code typed as it changed. */
const WINDOW = 1

export const TOTP_CODE = /^\d{6}$/

/** A new 160-bit secret, in base32 as apps take it. */
export function newTotpSecret (): string {
  return new Secret({ size: 20 }).base32
}

function totp (secret: string, issuer = '', label = 'account'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) })
}

/** The otpauth:// URL apps read from a QR code, and the QR code as an SVG data URL. */
export async function enrolment (secret: string, issuer: string, label: string) {
  const otpauthUrl = totp(secret, issuer, label).toString()
  const svg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
  return { otpauthUrl, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` }
}

/** The time step `code` belongs to, within the window around `now`; undefined when it matches none. */
export function totpStep (secret: string, code: string, now = Date.now()): number | undefined {
  if (!TOTP_CODE.test(code)) return undefined
  const delta = totp(secret).validate({ token: code, timestamp: now, window: WINDOW })
  return delta === null ? undefined : Math.floor(now / 1000 / PERIOD) + delta
}
