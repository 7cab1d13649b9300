import type { AddressInfo } from 'node:net'
import fp from 'fastify-plugin'
import { Metrics } from '../../src/metrics/metrics.js'
import { MetricsServer } from '../../src/metrics/server.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Undefined unless METRICS_PORT is set. `listening`: where they are served, once the app listens. */
    metrics: { metrics: Metrics, listening: Promise<AddressInfo> } | undefined
  }
}

/**
 * Prometheus metrics, served on a port of their own (METRICS_PORT), so that they are never public by
 * accident. Off by default, and then nothing is measured at all. The server starts when the app listens,
 * not when it is ready: the CLI builds the same app, and must not take the port of the running service.
 */
export default fp(async function metricsPlugin (fastify) {
  const { config, passwords, sessions, mail, events, log } = fastify
  if (config.metrics === undefined) {
    fastify.decorate('metrics', undefined)
    return
  }
  const { port, host } = config.metrics
  const metrics = new Metrics({
    hashPool: () => passwords.stats,
    sessionCache: () => sessions.cacheStats,
    mailBacklog: () => mail.backlog(),
    log
  })
  // Counted from the audit trail: every outcome of a login, signup or refresh is recorded there, with its reason.
  events.observe(event => metrics.countEvent(event))
  fastify.addHook('onResponse', function observeRequest (request, reply, done) {
    metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime)
    done()
  })

  const server = new MetricsServer(metrics, log)
  let started: (address: AddressInfo) => void = () => {}
  let failed: (error: unknown) => void = () => {}
  const listening = new Promise<AddressInfo>((resolve, reject) => { started = resolve; failed = reject })
  // Only tests await it; a failure is logged below.
  listening.catch(() => {})
  fastify.decorate('metrics', { metrics, listening })
  fastify.addHook('onListen', async function startMetricsServer () {
    try {
      const address = await server.listen(port, host)
      const where = address.family === 'IPv6' ? `[${address.address}]` : address.address
      log.info(`metrics: served at http://${where}:${address.port}/metrics`)
      started(address)
    } catch (error) {
      // The API goes on without them: metrics are not worth an outage.
      log.error({ err: error }, `metrics: could not listen on ${host}:${port}; no metrics are served`)
      failed(error)
    }
  })
  fastify.addHook('onClose', () => server.close())
}, { name: 'metrics', dependencies: ['config', 'passwords', 'sessions', 'mail', 'audit'] })
