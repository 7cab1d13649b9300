/**
 * Sealing of the second factor's secrets: TOTP secrets are encrypted (AES-256-GCM, bound to their user), and
 * recovery codes are kept as keyed digests, so a copy of the database alone shows neither.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { SecretUnreadable } from '../errors.js'

const VERSION = 'v1'

export class SecretBox {
  readonly #encryptionKey: Buffer
  readonly #digestKey: Buffer

  /** `key`: 32 bytes (ENCRYPTION_KEY, or the one kept in the database); each use gets a key of its own. */
  constructor (key: Buffer) {
    this.#encryptionKey = Buffer.from(hkdfSync('sha256', key, '', 'auth/totp-secret', 32))
    this.#digestKey = Buffer.from(hkdfSync('sha256', key, '', 'auth/recovery-code', 32))
  }

  /** `plaintext` encrypted; `context` (the user's id) must be given again to open it. */
  seal (plaintext: string, context: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv)
    cipher.setAAD(Buffer.from(context))
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [VERSION, iv, sealed, cipher.getAuthTag()]
      .map(part => typeof part === 'string' ? part : part.toString('base64url')).join('.')
  }

  open (sealed: string, context: string): string {
    const [version, iv, data, tag] = sealed.split('.')
    if (version !== VERSION || iv === undefined || data === undefined || tag === undefined) {
      throw new SecretUnreadable()
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, Buffer.from(iv, 'base64url'), {
      authTagLength: 16
    })
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')
    } catch {
      // Logged as a 5xx with its code: ENCRYPTION_KEY was changed after the secret was sealed.
      throw new SecretUnreadable()
    }
  }

  /** A keyed digest, for values that are only ever compared (recovery codes). */
  digest (value: string): string {
    return createHmac('sha256', this.#digestKey).update(value).digest('base64url')
  }
}
