/** Key helpers for access tokens: the algorithms, key checks and generation, and the public JWK of a key. */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { PublicJwk } from '../db/schema.js'

export const JWT_ALGORITHMS = ['HS256', 'EdDSA', 'ES256', 'RS256'] as const
export type JwtAlgorithm = typeof JWT_ALGORITHMS[number]
export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>

/** The JWT type of access tokens (RFC 9068): a refresh or ID token can never pass for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt'

/** What a private key must be for each algorithm, in words; undefined when the key fits. */
export function keyMismatch (algorithm: AsymmetricAlgorithm, key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails ?? {}
  switch (algorithm) {
    case 'EdDSA': return key.asymmetricKeyType === 'ed25519' ? undefined : 'an Ed25519 private key'
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1'
        ? undefined
        : 'an EC P-256 private key'
    case 'RS256':
      return key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048
        ? undefined
        : 'an RSA private key of at least 2048 bits'
  }
}

/** Parses a PEM private key; `\n` written as two characters (as in many .env files) is accepted. */
export function parsePrivateKey (pem: string): KeyObject {
  return createPrivateKey(pem.includes('\\n') ? pem.replaceAll('\\n', '\n') : pem)
}

export function generatePrivateKey (algorithm: AsymmetricAlgorithm): KeyObject {
  switch (algorithm) {
    case 'EdDSA': return generateKeyPairSync('ed25519').privateKey
    case 'ES256': return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    case 'RS256': return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  }
}

/** The public JWK of a private key; its `kid` is the RFC 7638 thumbprint, derived from the key alone. */
export function publicJwk (privateKey: KeyObject, algorithm: AsymmetricAlgorithm): PublicJwk {
  const jwk = privateKey.export({ format: 'jwk' })
  // The members RFC 7638 hashes, in its lexicographic order, per key type.
  const members = jwk.kty === 'RSA'
    ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
  const kid = createHash('sha256').update(JSON.stringify(members)).digest('base64url')
  return { ...members, kty: jwk.kty as string, kid, alg: algorithm, use: 'sig' }
}

/**
 * Whether the token's signature is spelled as its encoder writes it. A base64url decoder also takes
 * other spellings of the same bytes (the unused bits of the last character, padding, `+` and `/`):
 * anything keyed on the token string must see one token, not several.
 */
export function canonicalSignature (token: string): boolean {
  const signature = token.slice(token.lastIndexOf('.') + 1)
  return Buffer.from(signature, 'base64url').toString('base64url') === signature
}

/** The `kid` of a token's header, without verifying anything; undefined when there is none. */
export function headerKid (token: string): string | undefined {
  try {
    const header = JSON.parse(
      Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString()
    ) as { kid?: unknown } | null
    return typeof header?.kid === 'string' ? header.kid : undefined
  } catch {
    return undefined
  }
}

/** The SPKI PEM of a published JWK, as the verifier takes it. */
export function publicPem (jwk: PublicJwk): string {
  const { kid: _kid, alg: _alg, use: _use, ...key } = jwk
  return createPublicKey({ key, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string
}
