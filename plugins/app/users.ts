import fp from 'fastify-plugin'
import { Users } from '../../src/accounts/users.js'

declare module 'fastify' {
  interface FastifyInstance {
    users: Users
  }
}

/** The users table. */
export default fp(async function users (fastify) {
  fastify.decorate('users', new Users(fastify.store))
}, { name: 'users', dependencies: ['db'] })
