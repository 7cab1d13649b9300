import fp from 'fastify-plugin'
import { AuthEvents } from '../../src/audit/events.js'

declare module 'fastify' {
  interface FastifyInstance {
    events: AuthEvents
  }
}

/** The audit trail. */
export default fp(async function audit (fastify) {
  fastify.decorate('events', new AuthEvents(fastify.store))
}, { name: 'audit', dependencies: ['db'] })
