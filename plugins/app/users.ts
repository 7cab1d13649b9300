import fp from 'fastify-plugin'
import { Users } from '../../src/accounts/users.js'

declare module 'fastify' {
  interface FastifyInstance {
    users: Users
  }
}

/** The users table. */
export default fp(async function users (fastify) {
  const users = new Users(fastify.store)
  const { lookAlikes } = await users.fillSkeletons()
  if (lookAlikes > 0) {
    fastify.log.warn({ lookAlikes }, 'usernames that look like another account\'s were left without a skeleton')
  }
  fastify.decorate('users', users)
}, { name: 'users', dependencies: ['db'] })
