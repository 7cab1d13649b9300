import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors } from '../schemas/common.js'

/** Readiness: answers ok only when the database answers, and Redis too when REDIS_URL is set. */
const health: FastifyPluginAsyncTypebox = async function health (fastify) {
  fastify.get('/health', {
    // Load balancers probe often from one address; a 429 here would take a healthy instance out.
    config: { rateLimit: false, routine: true },
    schema: {
      summary: 'Health check',
      description: 'Checks that the database answers, and Redis when it holds the shared limits (REDIS_URL). ' +
        'Suitable for load-balancer and orchestrator probes.',
      tags: ['health'],
      response: {
        200: Type.Object({ status: Type.Literal('ok') }, { description: 'The service and its database answer.' }),
        ...errors({ 503: 'The database, or Redis, is not reachable.', 500: 'Unexpected failure.' })
      }
    }
  }, async function check () {
    await fastify.checkHealth()
    return { status: 'ok' as const }
  })
}

export default health
