/**
 * A software passkey authenticator for API tests: real P-256 keys, real CBOR, real signatures, answering the
 * options the service gives as a browser would pass them to a platform authenticator. The browser suite uses
 * Chromium's own virtual authenticator instead.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'

/** The smallest CBOR encoder that attestation objects and COSE keys need (RFC 8949): ints, bytes, text, maps. */
function cbor (value: unknown): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length])
    if (length < 256) return Buffer.from([(major << 5) | 24, length])
    if (length < 65536) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff])
    const buffer = Buffer.alloc(5)
    buffer[0] = (major << 5) | 26
    buffer.writeUInt32BE(length, 1)
    return buffer
  }
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value])
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, text.length), text])
  }
  if (value instanceof Map) {
    const parts = [head(5, value.size)]
    for (const [key, item] of value) parts.push(cbor(key), cbor(item))
    return Buffer.concat(parts)
  }
  throw new Error(`cannot encode ${typeof value}`)
}

interface Credential {
  id: Buffer
  key: KeyObject
  rpId: string
  userHandle: string
  counter: number
}

export interface AuthenticatorOptions {
  /** Where the "browser" runs: the clientDataJSON's origin. */
  origin: string
  /** Whether the user is verified (a PIN, biometrics): the UV flag. */
  userVerification?: boolean
  /** Whether the passkey is synced (backup eligible and backed up): `multiDevice`. */
  synced?: boolean
  /** Whether the signature counter moves (hardware keys) or stays 0 (synced passkeys). */
  counts?: boolean
}

interface CreationOptions { challenge: string, rp: { id: string }, user: { id: string } }
interface RequestOptions { challenge: string, rpId: string }

export class SoftAuthenticator {
  readonly credentials: Credential[] = []
  readonly #options: Required<AuthenticatorOptions>

  constructor (options: AuthenticatorOptions) {
    this.#options = { userVerification: true, synced: false, counts: true, ...options }
  }

  /**
   * `navigator.credentials.create()` for `options`, as its JSON; `origin`, `rpId` and the challenge may be
   * forged, and the credential's ID chosen (`id`).
   */
  create (options: CreationOptions, forged: { origin?: string, rpId?: string, challenge?: string, id?: Buffer } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const rpId = forged.rpId ?? options.rp.id
    const credential: Credential = {
      id: forged.id ?? randomBytes(16), key: privateKey, rpId, userHandle: options.user.id, counter: 0
    }
    this.credentials.push(credential)
    const jwk = publicKey.export({ format: 'jwk' })
    const cose = cbor(new Map<number, unknown>([
      [1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x as string, 'base64url')], [-3, Buffer.from(jwk.y as string, 'base64url')]
    ]))
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(credential.id.length)
    const authData = Buffer.concat([
      this.#authDataHead(rpId, 0x40, credential.counter), Buffer.alloc(16), idLength, credential.id, cose
    ])
    const attestationObject = cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))
    const clientData = this.#clientData('webauthn.create', forged.challenge ?? options.challenge, forged.origin)
    const id = credential.id.toString('base64url')
    return {
      id,
      rawId: id,
      response: {
        clientDataJSON: clientData.toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['internal']
      },
      clientExtensionResults: { credProps: { rk: true } },
      authenticatorAttachment: 'platform',
      type: 'public-key' as const
    }
  }

  /** `navigator.credentials.get()` with the first (or the given) passkey for the options' relying party. */
  get (options: RequestOptions, forged: { origin?: string, credential?: Credential, counter?: number } = {}) {
    const credential = forged.credential ?? this.credentials.find(candidate => candidate.rpId === options.rpId)
    if (credential === undefined) throw new Error(`no passkey for ${options.rpId}`)
    if (this.#options.counts) credential.counter++
    const authData = this.#authDataHead(options.rpId, 0, forged.counter ?? (this.#options.counts ? credential.counter : 0))
    const clientData = this.#clientData('webauthn.get', options.challenge, forged.origin)
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), credential.key)
    const id = credential.id.toString('base64url')
    return {
      id,
      rawId: id,
      response: {
        clientDataJSON: clientData.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: credential.userHandle
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      type: 'public-key' as const
    }
  }

  /** The RP ID's hash, the flags (user present, and as configured verified and synced) and the counter. */
  #authDataHead (rpId: string, extraFlags: number, counter: number): Buffer {
    const { userVerification, synced } = this.#options
    const flags = 0x01 | (userVerification ? 0x04 : 0) | (synced ? 0x18 : 0) | extraFlags
    const count = Buffer.alloc(4)
    count.writeUInt32BE(counter)
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), count])
  }

  #clientData (type: string, challenge: string, origin = this.#options.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
  }
}
