/** The request log: one line per request, with every secret field redacted. */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import { PASSWORD_FIELDS, TOKEN_FIELDS } from '../../schemas/common.js'

/** Fields that hold secrets: never written to a log line, at any depth a log call might put them. */
const SECRET_KEYS = new Set<string>([
  'authorization', 'cookie', 'set-cookie', ...PASSWORD_FIELDS, ...TOKEN_FIELDS
])
const REDACTED = '[redacted]'

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Redacts secret fields of a log call's object and of the plain objects inside it. The request, the reply
 * and errors are not plain objects: their serializers never include a header, a body or a query string.
 * Copies only when a secret is found.
 */
export function redactSecrets (object: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined
  for (const key in object) {
    const value = object[key]
    let replacement = value
    if (SECRET_KEYS.has(key)) replacement = REDACTED
    else if (depth < 4 && isPlainObject(value)) replacement = redactSecrets(value, depth + 1)
    if (replacement !== value) {
      copy ??= { ...object }
      copy[key] = replacement
    }
  }
  return copy ?? object
}

/** The request as logged: the path without its query string, which could carry a token. */
export function serializeRequest (request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.split('?', 1)[0],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A routine check (a token check, /health, the JWKS): its successes are logged at debug, not info. */
    routine?: boolean
  }
}

/**
 * One log line per request, when it ends: not a second as it arrives, costly on the busiest routes.
 * A routine check's success goes at debug: it would be most of the log and tell nothing new.
 */
export class AccessLog extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else if (reply.statusCode < 400 && request.routeOptions.config.routine === true) reply.log.debug(line, 'request completed')
    else reply.log.info(line, 'request completed')
  }
}
