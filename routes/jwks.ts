import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors } from '../schemas/common.js'
import { Jwks } from '../schemas/keys.js'

/** Seconds verifiers may cache the set: short, as a rotated key signs at once. */
export const JWKS_MAX_AGE = 60

/** The public keys that verify access tokens, for other services (RFC 7517). */
const jwks: FastifyPluginAsyncTypebox = async function jwks (fastify) {
  fastify.get('/.well-known/jwks.json', {
    // Verifiers behind one address fetch it; it is cached, and cheaper to serve than to count.
    config: { rateLimit: false, routine: true },
    schema: {
      operationId: 'getJwks',
      summary: 'Public signing keys (JWKS)',
      description: 'The public keys of the asymmetric `JWT_ALGORITHM` (EdDSA, ES256 or RS256), ' +
        'for services that verify access tokens themselves: ' +
        'pick the key by the token\'s `kid`, and also check `alg`, `typ: at+jwt`, `exp` ' +
        'and, when configured, `iss` and `aud`. ' +
        'After a key rotation the previous key stays here until the tokens it signed have expired. ' +
        `Cacheable for ${JWKS_MAX_AGE} seconds; fetch it again when a token names an unknown \`kid\`. ` +
        'A verified token does not mean its session is still live: call `POST /auth/token/verify` for that. ' +
        '404 with HS256, which has no public key.',
      tags: ['keys'],
      response: {
        200: Jwks,
        ...errors({
          404: 'Tokens are signed with HS256 (a shared secret): there is no public key.',
          500: 'Unexpected failure.'
        })
      }
    }
  }, async function publicKeys (_request, reply) {
    const set = fastify.accessTokens.jwks()
    reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE}`)
    return set
  })
}

export default jwks
