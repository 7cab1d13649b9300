import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Count, errors } from '../schemas/common.js'

const Ok = (description: string) => Type.Object({ status: Type.Literal('ok') }, { description, additionalProperties: false })

/**
 * The probes: /health (the database and Redis answer, with the mail backlog), /health/live (the process
 * answers) and /health/ready (the instance should get traffic). See docs/operations.md.
 */
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
            pending: Count({ description: 'Messages waiting to be sent, new or to be retried.' }),
            oldestPendingSeconds: Type.Union([Count(), Type.Null()], {
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

  fastify.get('/health/live', {
    config: { rateLimit: false, routine: true },
    schema: {
      operationId: 'healthLive',
      summary: 'Liveness probe',
      description: 'Answers as soon as the process can answer, without asking the database or Redis: for an ' +
        'orchestrator\'s liveness probe, which restarts the process when it fails. A database outage must not ' +
        'restart every instance; the readiness probe takes them out of the balancer instead.',
      tags: ['health'],
      response: {
        200: Ok('The process answers.'),
        ...errors({ 503: 'The instance is shutting down (asked on a connection opened before).' })
      }
    }
  }, async function live () {
    return { status: 'ok' as const }
  })

  fastify.get('/health/ready', {
    config: { rateLimit: false, routine: true },
    schema: {
      operationId: 'healthReady',
      summary: 'Readiness probe',
      description: 'Answers ok when the instance should get traffic: it is not shutting down, its database answers ' +
        'and has every migration of this version applied, and Redis answers when REDIS_URL is set. For the load ' +
        'balancer\'s health check and an orchestrator\'s readiness probe. A 503 NOT_READY says which failed.',
      tags: ['health'],
      response: {
        200: Ok('The instance is ready for traffic.'),
        ...errors({ 503: 'Not ready: shutting down, the database or Redis not reachable, or migrations not applied.' })
      }
    }
  }, async function ready () {
    await fastify.checkReadiness()
    return { status: 'ok' as const }
  })
}

export default health
