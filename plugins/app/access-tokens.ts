import fp from 'fastify-plugin'
import { storedSecret } from '../../src/db/settings.js'
import { AccessTokens, KEY_RELOAD_INTERVAL_MS } from '../../src/tokens/access-tokens.js'
import type { AccessTokenClaims } from '../../schemas/auth.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Signs and verifies access tokens; the algorithm, type, issuer and audience are pinned on verification. */
    accessTokens: AccessTokens
  }
  interface FastifyRequest {
    /** The claims of the request's access token (set by `authenticate`). */
    user: AccessTokenClaims
  }
}

/** The access-token signer; asymmetric keys are re-read every few seconds, to pick up a rotation made elsewhere. */
export default fp(async function jwt (fastify) {
  const { config, store } = fastify
  const tokens = new AccessTokens(store, {
    algorithm: config.jwtAlgorithm,
    secret: config.jwtAlgorithm === 'HS256'
      ? config.jwtSecret ?? await storedSecret(store, 'jwt_secret')
      : undefined,
    privateKey: config.jwtPrivateKey,
    accessTokenTtl: config.accessTokenTtl,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience
  })
  await tokens.prepare()
  fastify.decorate('accessTokens', tokens)
  fastify.decorateRequest('user', null as unknown as AccessTokenClaims)
  if (tokens.asymmetric) {
    const timer = setInterval(() => {
      tokens.reload().catch((error: unknown) => fastify.log.error({ err: error }, 'could not re-read the signing keys'))
    }, KEY_RELOAD_INTERVAL_MS).unref()
    fastify.addHook('onClose', async () => clearInterval(timer))
  }
}, { name: 'access-tokens', dependencies: ['config', 'db'] })
