import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors } from '../schemas/common.js'

/** Readiness: answers ok only when the database answers, and Redis too when REDIS_URL is set. */
const health: FastifyPluginAsyncTypebox = async function health (fastify) {
  fastify.get('/health', {
    // Load balancers probe often from one address; a 429 here would take a healthy instance out.
    config: { rateLimit: false, routine: true },
    schema: {
      operationId: 'health',
      summary: 'Health check',
      description: 'Checks that the database answers, and Redis when it holds the shared limits (REDIS_URL). ' +
        'Suitable for load-balancer and orchestrator probes. Also tells how much mail waits to be sent: ' +
        'mail failing does not make the service unhealthy.',
      tags: ['health'],
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          mail: Type.Object({
            pending: Type.Integer({ minimum: 0, description: 'Messages waiting to be sent, new or to be retried.' }),
            oldestPendingSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
              description: 'Seconds since the oldest waiting message was stored; null when none waits.'
            })
          }, { additionalProperties: false })
        }, { description: 'The service and its database answer.', additionalProperties: false }),
        ...errors({ 503: 'The database, or Redis, is not reachable.', 500: 'Unexpected failure.' })
      }
    }
  }, async function check () {
    await fastify.checkHealth()
    // After the database has answered: an error here is a 500, as any other unexpected one.
    return { status: 'ok' as const, mail: await fastify.mail.backlog() }
  })
}

export default health
