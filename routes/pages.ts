import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'

/**
 * The browser pages (/, /login, /register) and their assets, hidden from /docs. Every file is revalidated
 * on each use (`no-cache` with an ETag), so a new version of the service is picked up at once.
 */
const pages: FastifyPluginAsync<{ root: string }> = async function pages (fastify, { root }) {
  fastify.addHook('onRequest', fastify.pageHeaders)
  await fastify.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    // Only the files present at start-up are served; nothing else under /assets/ is looked up.
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders: reply => { reply.header('cache-control', 'no-cache') },
    schemaHide: true
  })
  for (const [url, file] of [['/', 'index.html'], ['/login', 'login.html'], ['/register', 'register.html']] as const) {
    fastify.get(url, { schema: { hide: true } }, async function page (_request, reply) {
      return reply.header('cache-control', 'no-cache').sendFile(file, join(root, 'pages'))
    })
  }
}

export default pages
