import { isIP } from 'node:net'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { InvalidForwardedFor } from '../../src/errors.js'
import type { ClientInfo } from '../../src/sessions/client.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, for sessions and the audit trail: the client address (see TRUST_PROXY) and user agent. */
    readonly client: ClientInfo
  }
}

/**
 * The caller as sessions, limits and the audit trail see it. Behind a trusted proxy the address is
 * the one X-Forwarded-For names; a value there that is not an address is refused, never stored or
 * used as a rate-limit key.
 */
export default fp(async function clientAddress (fastify) {
  fastify.decorateRequest('client', {
    getter (this: FastifyRequest): ClientInfo {
      return { userAgent: this.headers['user-agent'], ip: this.ip }
    }
  })
  if (fastify.config.trustProxy === false) return
  fastify.addHook('onRequest', function forwardedAddress (request, _reply, done) {
    done(isIP(request.ip) === 0 ? new InvalidForwardedFor() : undefined)
  })
}, { name: 'client-address', dependencies: ['config'] })
