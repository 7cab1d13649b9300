import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { DatabaseUnavailable } from '../src/errors.js'
import { errors } from '../schemas/common.js'

/** Readiness: answers ok only when the database answers. */
const health: FastifyPluginAsyncTypebox = async function health (fastify) {
  const ping = fastify.sqlite.prepare('SELECT 1')

  fastify.get('/health', {
    // Load balancers probe often from one address; a 429 here would take a healthy instance out.
    config: { rateLimit: false },
    schema: {
      summary: 'Health check',
      description: 'Checks that the database answers. Suitable for load-balancer and orchestrator probes.',
      tags: ['health'],
      response: {
        200: Type.Object({ status: Type.Literal('ok') }, { description: 'The service and its database answer.' }),
        ...errors({ 503: 'The database is not reachable.', 500: 'Unexpected failure.' })
      }
    }
  }, async function check () {
    try {
      ping.get()
    } catch {
      throw new DatabaseUnavailable()
    }
    return { status: 'ok' as const }
  })
}

export default health
