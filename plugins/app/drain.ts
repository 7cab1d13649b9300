import fp from 'fastify-plugin'
import { ShuttingDown } from '../../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** True once the app has begun closing: it finishes what it has, and takes nothing new. */
    readonly draining: boolean
  }
}

/**
 * A close that ends as soon as the requests in flight are answered. Node's `server.close()` closes the
 * connections idle at that moment, but not those busy then: kept alive after their answer, they would hold
 * the close until the client dropped them, or close-with-grace's timer killed the process. So every answer
 * sent while closing says `Connection: close`, any connection still left idle is closed after each answer,
 * and a request that arrives meanwhile, on a connection already open, gets a 503 in the common shape
 * (Fastify's own, `return503OnClosing`, has no `code`).
 */
export default fp(async function drain (fastify) {
  let draining = false
  fastify.decorate('draining', { getter: () => draining })
  // preClose hooks run before the server stops listening; the database and the others close after it has.
  fastify.addHook('preClose', function startDraining (done) {
    draining = true
    done()
  })
  fastify.addHook('onRequest', function refuseWhileDraining (request, reply, done) {
    done(draining ? new ShuttingDown() : undefined)
  })
  fastify.addHook('onSend', function closeWhileDraining (request, reply, payload, done) {
    if (draining) reply.header('connection', 'close')
    done(null, payload)
  })
  fastify.addHook('onResponse', function closeIdle (request, reply, done) {
    // After Node has detached the answer from its socket: a connection whose answer began before the close,
    // without `Connection: close`, is idle only then.
    if (draining) setImmediate(() => fastify.server.closeIdleConnections())
    done()
  })
}, { name: 'drain' })
