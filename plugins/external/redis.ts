import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared Redis (REDIS_URL); undefined when the limits are kept in memory. */
    redis?: Redis
  }
}

/** Milliseconds a Redis command may take before the request it serves gets a 503. */
const COMMAND_TIMEOUT = 2000

/**
 * The Redis connection behind the limits instances share; a wrong REDIS_URL stops the start. Commands fail
 * fast while it is down (no offline queue): a limit that cannot be checked is a 503, never a wait or a pass.
 */
export default fp(async function redis (fastify) {
  const { redisUrl } = fastify.config
  if (redisUrl === undefined) {
    fastify.decorate('redis', undefined)
    return
  }
  // Loaded only when configured, to spare the start-up.
  const { Redis } = await import('ioredis')
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: COMMAND_TIMEOUT,
    commandTimeout: COMMAND_TIMEOUT
  })
  // Retried by the client: logged, not thrown at the process.
  client.on('error', error => fastify.log.warn({ err: error }, 'redis connection error'))
  try {
    await client.connect()
  } catch (error) {
    client.disconnect()
    throw new Error(`REDIS_URL: could not connect to Redis (${(error as Error).message})`, { cause: error })
  }
  fastify.decorate('redis', client)
  fastify.addHook('onClose', async () => {
    await client.quit().catch(() => client.disconnect())
  })
}, { name: 'redis', dependencies: ['config'] })
