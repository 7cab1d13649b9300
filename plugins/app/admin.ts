import fp from 'fastify-plugin'
import { Admin } from '../../src/accounts/admin.js'

declare module 'fastify' {
  interface FastifyInstance {
    admin: Admin
  }
}

/** What admins do to other accounts. */
export default fp(async function admin (fastify) {
  const { mfa } = fastify
  fastify.decorate('admin', new Admin(
    fastify.store, fastify.sessions, fastify.events, (userId, actorId, client, tx) => mfa.reset(userId, actorId, client, tx)
  ))
}, { name: 'admin', dependencies: ['db', 'sessions', 'audit', 'mfa'] })
