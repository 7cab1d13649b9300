import fastifyJwt from '@fastify/jwt'
import fp from 'fastify-plugin'
import { storedSecret } from '../src/db/settings.js'
import type { AccessClaims } from '../src/accounts.js'
import type { AccessTokenClaims } from '../schemas/auth.js'

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessClaims
    user: AccessTokenClaims
  }
}

/** The JWT type of access tokens (RFC 9068): a refresh or ID token can never pass for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt'
const ALGORITHM = 'HS256'

/** Signs and verifies access tokens; the algorithm, type, issuer and audience are pinned on verification. */
export default fp(async function jwt (fastify) {
  const { config } = fastify
  await fastify.register(fastifyJwt, {
    secret: config.jwtSecret ?? storedSecret(fastify.db, 'jwt_secret'),
    sign: {
      algorithm: ALGORITHM,
      header: { alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE },
      expiresIn: config.accessTokenTtl,
      iss: config.jwtIssuer,
      aud: config.jwtAudience
    },
    verify: {
      // Tokens already verified are remembered until they expire (1,000 at most, keyed by a
      // digest of the token), so a client's repeated calls skip the decoding and the HMAC.
      // Revocation is unaffected: the guard checks the session in the database on every request.
      cache: 1000,
      algorithms: [ALGORITHM],
      checkTyp: ACCESS_TOKEN_TYPE,
      allowedIss: config.jwtIssuer,
      allowedAud: config.jwtAudience,
      // fast-jwt checks iss and aud only when present: when configured, they must be.
      requiredClaims: [
        'sub', 'role', 'sid', 'jti', 'iat', 'exp',
        ...(config.jwtIssuer === undefined ? [] : ['iss']),
        ...(config.jwtAudience === undefined ? [] : ['aud'])
      ]
    }
  })
}, { name: 'jwt', dependencies: ['config', 'db'] })
