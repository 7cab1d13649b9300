import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'

/** Where the pages find the API: their `<body data-api="/auth">`, rewritten when the API is mounted elsewhere. */
const API_ATTRIBUTE = 'data-api="/auth"'

/**
 * The browser pages (/, /login, /register, /account, and those the mail links to) and their assets (with
 * @simplewebauthn/browser's bundle), hidden from /docs. Every file is revalidated
 * on each use (`no-cache` with an ETag), so a new version of the service is picked up at once.
 */
const pages: FastifyPluginAsync<{ root: string, api: string }> = async function pages (fastify, { root, api }) {
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
  /** A file read once at start-up, revalidated by its ETag on each use. */
  function serve (url: string, body: string, type: string): void {
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
    fastify.get(url, { schema: { hide: true } }, async function file (request, reply) {
      reply.header('cache-control', 'no-cache').header('etag', etag)
      if (request.headers['if-none-match'] === etag) return reply.code(304).send()
      return reply.type(type).send(body)
    })
  }

  // The browser half of passkeys, from the installed package as it is published (its UMD bundle): no build
  // step, no CDN, and the same version as the server half.
  serve('/assets/webauthn.js', readFileSync(join(
    dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'
  ), 'utf8'), 'application/javascript; charset=utf-8')
  for (const [url, file] of [
    ['/', 'index.html'], ['/login', 'login.html'], ['/register', 'register.html'],
    ['/verify-email', 'verify-email.html'], ['/forgot-password', 'forgot-password.html'],
    ['/reset-password', 'reset-password.html'], ['/change-email', 'change-email.html'], ['/account', 'account.html']
  ] as const) {
    // Each page carries where the API is mounted.
    serve(url, readFileSync(join(root, 'pages', file), 'utf8').replace(API_ATTRIBUTE, `data-api="${api}"`),
      'text/html; charset=utf-8')
  }
}

export default pages
