/** The public keys of asymmetric access tokens, as published for other services (RFC 7517). */
import { Type } from '@sinclair/typebox'

export const Jwk = Type.Object({
  kty: Type.String({ description: '`OKP` (EdDSA), `EC` (ES256) or `RSA` (RS256).' }),
  kid: Type.String({ description: 'The key id that access tokens name in their `kid` header (RFC 7638 thumbprint).' }),
  alg: Type.String({ examples: ['EdDSA'] }),
  use: Type.Literal('sig'),
  crv: Type.Optional(Type.String()),
  x: Type.Optional(Type.String()),
  y: Type.Optional(Type.String()),
  n: Type.Optional(Type.String()),
  e: Type.Optional(Type.String())
}, { additionalProperties: false })

export const Jwks = Type.Object({ keys: Type.Array(Jwk) }, { description: 'The JSON Web Key Set.' })
