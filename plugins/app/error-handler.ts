import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { databaseUnreachable } from '../../src/db/index.js'
import { DatabaseUnavailable, ServiceError } from '../../src/errors.js'
import { validationDetails } from '../../src/http/validation.js'
import type { ErrorBody, ErrorPresenter } from '../../schemas/common.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers errors in another shape: a compatibility profile's (see routes/compat/). */
    presentError?: ErrorPresenter
  }
}

/** Friendlier codes for the framework's own errors that clients commonly meet. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE'
}

/** `Payload Too Large` → `PAYLOAD_TOO_LARGE`. */
function codeFor (statusCode: number): string {
  return (STATUS_CODES[statusCode] ?? 'Error').toUpperCase().replace(/[^A-Z0-9]+/g, '_')
}

/** Shapes any error as `{ statusCode, code, error, message }` (+ `details` for validation). */
export function toErrorBody (error: FastifyError): ErrorBody {
  if (error.validation !== undefined) {
    const details = validationDetails(error.validation)
    const part = error.validationContext ?? 'body'
    return {
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      error: STATUS_CODES[400] as string,
      message: details
        .map(detail => `${part}${detail.path === '/' ? '' : detail.path} ${detail.message}`).join('; '),
      details
    }
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
    ? error.statusCode
    : 500
  const own = error instanceof ServiceError
  const code = own ? error.code : FRAMEWORK_CODES[error.code] ?? codeFor(status)
  const body: ErrorBody = {
    statusCode: status,
    code,
    error: STATUS_CODES[status] ?? 'Error',
    // A 5xx keeps its detail in the log; the client gets the status text only.
    message: status >= 500 && !own ? (STATUS_CODES[status] as string) : error.message
  }
  const details = own ? (error as unknown as ServiceError).details : undefined
  if (details !== undefined) body.details = details
  return body
}

/**
 * Errors raised by the router before any route or hook runs (`/auth/%zz`): the same shape as everywhere
 * else, counted against the client's global limit (a scan of bad URLs is limited too), and logged.
 */
export function frameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = (failure: FastifyError) => {
    const body = toErrorBody(failure)
    reply.code(body.statusCode).header('x-request-id', request.id).send(body)
    request.log.info({ req: request, res: reply, err: failure }, 'request refused before routing')
  }
  const [limit] = reply.server.endpointLimits?.global ?? []
  if (limit === undefined) {
    answer(error)
    return
  }
  const take = limit as (request: FastifyRequest, reply: FastifyReply) => unknown
  Promise.resolve(take.call(reply.server, request, reply))
    .then(() => answer(error), (limited: FastifyError) => answer(limited))
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request did not arrive in time']
}

/**
 * Requests that are not valid HTTP never reach Fastify; this answers in the common shape (Node's has no
 * `code`), with a request id, and logs them. `this` is the Fastify instance.
 */
export function clientErrorHandler (this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'The request is not valid HTTP']
  const body = JSON.stringify({
    statusCode: status, code: codeFor(status), error: STATUS_CODES[status] as string, message
  } satisfies ErrorBody)
  const requestId = randomUUID()
  this.log.info({ reqId: requestId, remoteAddress: socket.remoteAddress, statusCode: status, code: error.code },
    'request refused: not valid HTTP')
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
    )
  }
  socket.destroy(error)
}

/** What is logged of a failure: no bound values (hashes, tokens), nor PostgreSQL's `detail`, which quotes them. */
function loggable (error: Error & { query?: string, params?: unknown }): object {
  if (error.query !== undefined && error.cause instanceof Error) {
    const cause = error.cause as Error & { code?: unknown }
    return {
      type: error.name, query: error.query, cause: { type: cause.name, message: cause.message, code: cause.code }
    }
  }
  return error
}

/** One error shape everywhere: validation, 404, the plugins' own errors and the unexpected. */
export default fp(async function errorHandler (fastify) {
  fastify.setErrorHandler(function handleError (error: FastifyError, request, reply) {
    // A database that cannot be reached is a 503 the client may retry, not a fault of the service.
    const body = toErrorBody(databaseUnreachable(error) ? new DatabaseUnavailable() : error)
    if (body.statusCode >= 500) request.log.error({ err: loggable(error) }, 'request failed')
    const retryAfter = error instanceof ServiceError
      ? (error as unknown as ServiceError).retryAfter
      : undefined
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter))
    const present = request.routeOptions.config.presentError
    if (present === undefined) return reply.code(body.statusCode).send(body)
    const presented = present(body)
    return reply.code(presented.statusCode).send(presented.body)
  })

  // Unknown routes count against the client's global limit, so scanning for routes is limited too.
  fastify.setNotFoundHandler({ preHandler: fastify.endpointLimits.global }, function notFound (request, reply) {
    return reply.code(404).send({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: STATUS_CODES[404] as string,
      message: `Route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)} not found`
    } satisfies ErrorBody)
  })
}, { name: 'error-handler', dependencies: ['rate-limit'] })
