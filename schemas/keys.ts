/** The public keys of asymmetric access tokens, as published for other services (RFC 7517). */
import { Type } from '@sinclair/typebox'

export const Jwk = Type.Object({
  kty: Type.String({ maxLength: 8, description: '`OKP` (EdDSA), `EC` (ES256) or `RSA` (RS256).' }),
  kid: Type.String({ maxLength: 64, description: 'The key id that access tokens name in their `kid` header (RFC 7638 thumbprint).' }),
  alg: Type.String({ maxLength: 16, examples: ['EdDSA'] }),
  use: Type.Literal('sig'),
  crv: Type.Optional(Type.String({ maxLength: 16 })),
  // Base64url: a 32-byte coordinate or key is 43 characters; an RSA modulus of 16,384 bits (a given key's) 2,731.
  x: Type.Optional(Type.String({ maxLength: 128 })),
  y: Type.Optional(Type.String({ maxLength: 128 })),
  n: Type.Optional(Type.String({ maxLength: 4096 })),
  e: Type.Optional(Type.String({ maxLength: 16 }))
}, { additionalProperties: false })

export const Jwks = Type.Object({ keys: Type.Array(Jwk) }, { description: 'The JSON Web Key Set.' })
