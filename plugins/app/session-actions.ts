import fp from 'fastify-plugin'
import { storedSecret } from '../../src/db/settings.js'
import { SessionActions } from '../../src/sessions/session-actions.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessionActions: SessionActions
  }
}

/** Refresh, logout and ending a session; the key that derives refresh tokens is kept in the database. */
export default fp(async function sessionActions (fastify) {
  const { store, sessions, events, accessTokens } = fastify
  const refreshKey = await storedSecret(store, 'refresh_secret')
  fastify.decorate('sessionActions', new SessionActions({ store, sessions, events, accessTokens, refreshKey }))
}, { name: 'session-actions', dependencies: ['db', 'sessions', 'audit', 'access-tokens'] })
