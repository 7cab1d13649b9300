import fp from 'fastify-plugin'
import { Passwords } from '../../src/passwords/passwords.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwords: Passwords
  }
}

/** Password hashing on a pool of threads, closed with the app. */
export default fp(async function passwords (fastify) {
  const { bcryptCost, hashWorkers, hashQueueMax } = fastify.config
  const passwords = new Passwords({ cost: bcryptCost, workers: hashWorkers, queueMax: hashQueueMax })
  fastify.addHook('onClose', () => passwords.close())
  fastify.decorate('passwords', passwords)
}, { name: 'passwords', dependencies: ['config'] })
