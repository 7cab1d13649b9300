import swagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { ALIASES_TAG, OVERLOADED } from '../../schemas/common.js'
import { LEGACY_OVERLOADED } from '../../schemas/compat/common.js'
import type { CompatProfile } from '../../src/config.js'

/** The tag of each compatibility profile's routes: what its old clients get, exactly. */
const COMPAT_TAGS: Record<CompatProfile, string> = {
  simplejwt: 'The Django REST framework + simplejwt API, as its clients call it (COMPAT_PROFILE=simplejwt)',
  flask: 'The Flask-JWT API, as its clients call it (COMPAT_PROFILE=flask)',
  insighted: 'The InsightED LMS API, as its clients call it (COMPAT_PROFILE=insighted)',
  spring: 'The Spring `WebResponse` API, as its clients call it (COMPAT_PROFILE=spring)',
  nestjs: 'The NestJS API, as its clients call it (COMPAT_PROFILE=nestjs)'
}

/** RFC 8725 (JWT best current practices): what the access tokens follow, as the OWASP rules ask a JWT scheme to say. */
const JWT_PRACTICES = 'An access token (`typ: at+jwt`) that follows RFC8725 (JSON Web Token Best Current Practices): ' +
  'one algorithm, fixed by the service (`JWT_ALGORITHM`; `none` and algorithm switching are refused), explicit ' +
  'typing, and `exp`, `iss` and `aud` checked on every request.'

/**
 * The response headers, declared once: @fastify/rate-limit's on every answer of a rate-limited route (and
 * Retry-After on its 429s), and @fastify/cors's on every answer to an allowed origin.
 */
const HEADERS = {
  'Access-Control-Allow-Origin': {
    description: 'The request\'s `Origin`, when `CORS_ORIGINS` lists it; absent otherwise (no origin is listed ' +
      'by default: the pages are served by the service itself).',
    schema: { type: 'string', format: 'uri', maxLength: 2048 }
  },
  'X-RateLimit-Limit': {
    description: 'Requests this client may make in the window of the route\'s limit (`RATE_LIMIT_*`). Sent while ' +
      'rate limiting is on (`RATE_LIMIT_ENABLED`).',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 }
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 }
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the current window ends.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 }
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 }
  }
} as const
const LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

/** Marks, for `transformObject`, the operations a rate limit counts: every route but those with `rateLimit: false`. */
const RATE_LIMITED = 'x-rate-limited'

const transform: SwaggerTransform = ({ schema, url, route }) => {
  const limited = route.config?.limit !== undefined || route.config?.rateLimit !== false
  return { schema: limited && schema !== undefined ? { ...schema, [RATE_LIMITED]: true } : schema, url }
}

/** What `transformObject` reads and writes of an operation. */
interface Operation {
  tags?: string[]
  deprecated?: boolean
  responses?: Record<string, { description?: string, headers?: Record<string, unknown> }>
  [RATE_LIMITED]?: true
}

/** The statuses whose answers say when to come back: every 429, and the 503 of saturated hashing threads. */
function retriesAfter (status: string, response: { description?: string }): boolean {
  return status === '429' || (status === '503' &&
    (response.description === OVERLOADED[503] || response.description === LEGACY_OVERLOADED[503]))
}

/** The headers of each answer (see HEADERS), and aliases said to be current. */
const transformObject: SwaggerTransformObject = document => {
  if (!('openapiObject' in document)) return document.swaggerObject
  const { openapiObject } = document
  const ref = (name: string) => ({ $ref: `#/components/headers/${name}` })
  openapiObject.components = { ...openapiObject.components, headers: HEADERS }
  for (const path of Object.values(openapiObject.paths ?? {})) {
    for (const operation of Object.values(path ?? {}) as Operation[]) {
      if (typeof operation !== 'object' || operation.responses === undefined) continue
      const limited = operation[RATE_LIMITED] === true
      delete operation[RATE_LIMITED]
      // An alias is the same operation under an older name, not a deprecated one.
      if (operation.tags?.includes(ALIASES_TAG) === true) operation.deprecated = false
      for (const [status, response] of Object.entries(operation.responses)) {
        const headers: Record<string, { $ref: string }> = { 'Access-Control-Allow-Origin': ref('Access-Control-Allow-Origin') }
        if (limited) for (const name of LIMIT_HEADERS) headers[name] = ref(name)
        if (retriesAfter(status, response)) headers['Retry-After'] = ref('Retry-After')
        response.headers = { ...response.headers, ...headers }
      }
    }
  }
  return openapiObject
}

/** The OpenAPI document at /docs/json, built from the routes' own schemas, and Swagger UI at /docs. */
export default fp(async function docs (fastify) {
  const { authPrefix, compatProfile } = fastify.config
  const compatTags = compatProfile === undefined
    ? []
    : [{ name: `compat: ${compatProfile}`, description: COMPAT_TAGS[compatProfile] }]
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Auth service',
        version: '0.1.0',
        description: 'Registration and login with short-lived JWT access tokens and opaque refresh tokens.\n\n' +
          'To try it: **register** (or **login**), copy `accessToken` from the response, ' +
          'press **Authorize** and paste it under bearerAuth (an admin\'s under adminBearerAuth too, for the admin ' +
          `API), then call **GET ${authPrefix}/me**.`
      },
      tags: [
        ...compatTags,
        { name: 'auth', description: 'Registration, login and token verification' },
        { name: 'sessions', description: 'Refresh, logout, and your sessions on each device' },
        { name: 'account', description: 'Changes to your own account' },
        { name: 'email', description: 'Verifying your address, and a forgotten password' },
        { name: 'two-factor', description: 'A second factor: an authenticator app and recovery codes' },
        { name: 'passkeys', description: 'Passkeys: signing in without a password, on the web and in your apps' },
        { name: 'admin', description: 'Managing users (admins only; admins are created with the CLI)' },
        { name: 'keys', description: 'Public keys for services that verify access tokens themselves' },
        { name: 'health', description: 'Liveness and readiness' },
        { name: ALIASES_TAG, description: 'Older names of the operations above, kept for the seed APIs\' clients' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: `The \`accessToken\` from register or login. ${JWT_PRACTICES}`
          },
          // The same kind of token: a scheme of its own says that only an admin's is accepted (the role is read
          // afresh on every request), so a client does not send a user's token there.
          adminBearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The `accessToken` of an admin (admins are created with the CLI), of a session that has ' +
              `proven the second factor when the admin has it on. ${JWT_PRACTICES}`
          }
        }
      }
    },
    transform,
    transformObject,
    // Shared schemas appear as components named by their $id (User, ErrorResponse, …).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    }
  })
  // A context of its own, so the UI's static files (which `uiHooks` would not reach) get the page headers too.
  await fastify.register(async function docsPages (pages) {
    pages.addHook('onRequest', fastify.pageHeaders)
    await pages.register(swaggerUi, {
      routePrefix: '/docs',
      // No validator badge: it would load an image from another site, which the CSP refuses. No token
      // kept in localStorage, where it would outlive the page.
      uiConfig: { persistAuthorization: false, displayRequestDuration: true, validatorUrl: null }
    })
  })
}, { name: 'swagger', dependencies: ['config', 'security'] })
