import fp from 'fastify-plugin'
import { Sessions } from '../../src/sessions/sessions.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: Sessions
  }
}

/** The sessions table, and the live sessions the guard keeps in memory (SQLite). */
export default fp(async function sessions (fastify) {
  const { refreshTokenTtl, sessionMaxAge, refreshReuseGrace } = fastify.config
  fastify.decorate('sessions', new Sessions(fastify.store, { refreshTokenTtl, sessionMaxAge, refreshReuseGrace }))
}, { name: 'sessions', dependencies: ['config', 'db'] })
