import t, { type Test } from 'tap'
import { USER_AGENT_MAX_LENGTH } from '../../schemas/common.js'
import { USER_AGENT_MAX } from '../../src/sessions/client.js'
import { build, post } from '../helper.js'

type Operation = {
  operationId?: string
  summary?: string
  deprecated?: boolean
  tags?: string[]
  security?: unknown[]
  requestBody?: { content: Record<string, { schema: unknown, example?: unknown }> }
  responses: Record<string, {
    description: string, content?: Record<string, { schema: unknown }>, headers?: Record<string, unknown>
  }>
}

async function openapi (t: Test) {
  const app = await build(t)
  const response = await app.inject('/docs/json')
  t.equal(response.statusCode, 200)
  return { app, doc: response.json() as { openapi: string, paths: Record<string, Record<string, Operation>>, components: { schemas: Record<string, unknown>, securitySchemes: Record<string, unknown> } } }
}

t.test('GET /docs serves Swagger UI', async t => {
  const app = await build(t)
  const response = await app.inject('/docs/')
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /text\/html/)
  t.match(response.body, /swagger-ui/i)
  const script = await app.inject('/docs/static/swagger-ui-bundle.js')
  t.equal(script.statusCode, 200, 'the UI is served locally, without a CDN')
  // A token kept in localStorage would outlive the page, readable by any script of this origin.
  const initializer = await app.inject('/docs/static/swagger-initializer.js')
  t.equal(initializer.statusCode, 200)
  t.match(initializer.body, /"persistAuthorization":false/, 'the bearer token is not kept in localStorage')
})

t.test('the OpenAPI document lists every route with its statuses, schemas and security', async t => {
  const { doc } = await openapi(t)
  t.match(doc.openapi, /^3\./)
  const expected: Record<string, Record<string, string[]>> = {
    '/health': { get: ['200', '503'] },
    '/health/live': { get: ['200', '503'] },
    '/health/ready': { get: ['200', '503'] },
    '/.well-known/jwks.json': { get: ['200', '404'] },
    '/auth/register': { post: ['201', '400', '403', '409', '413', '415', '429'] },
    '/auth/signup': { post: ['201', '400', '403', '409', '413', '415', '429'] },
    '/auth/login': { post: ['200', '400', '401', '403', '413', '415', '429'] },
    '/auth/signin': { post: ['200', '400', '401', '413', '415', '429'] },
    '/auth/me': { get: ['200', '401', '429'], patch: ['200', '400', '401', '409', '413', '415', '429'] },
    '/auth/profile': { get: ['200', '401', '429'] },
    '/auth/token/verify': { post: ['200', '400', '401', '413', '415', '429'] },
    '/auth/refresh': { post: ['200', '400', '401', '413', '415', '429'] },
    '/auth/token/refresh': { post: ['200', '400', '401', '413', '415', '429'] },
    '/auth/logout': { post: ['200', '400', '401', '413', '415', '429'] },
    '/auth/sessions': { get: ['200', '401', '429'] },
    '/auth/sessions/{id}': { delete: ['200', '400', '401', '404', '429'] },
    '/auth/password': { patch: ['200', '400', '401', '403', '413', '415', '429'] },
    '/auth/password/forgot': { post: ['202', '400', '413', '415', '429'] },
    '/auth/password/reset': { post: ['200', '400', '413', '415', '429', '503'] },
    '/auth/email/verify': { post: ['200', '400', '413', '415', '429'] },
    '/auth/email/verify/resend': { post: ['202', '400', '413', '415', '429'] },
    '/auth/email/change': { post: ['202', '400', '401', '403', '409', '413', '415', '429', '503'] },
    '/auth/email/change/confirm': { post: ['200', '400', '401', '409', '413', '415', '429'] },
    '/auth/admin/users': { get: ['200', '400', '401', '403', '429'] },
    '/auth/admin/events': { get: ['200', '400', '401', '403', '429'] },
    '/auth/admin/users/{id}': { get: ['200', '400', '401', '403', '404', '429'], delete: ['200', '400', '401', '403', '404', '409', '429'] },
    '/auth/admin/users/{id}/role': { patch: ['200', '400', '401', '403', '404', '409', '413', '415', '429'] },
    '/auth/admin/users/{id}/disable': { post: ['200', '400', '401', '403', '404', '409', '429'] },
    '/auth/admin/users/{id}/enable': { post: ['200', '400', '401', '403', '404', '409', '429'] },
    '/auth/admin/users/{id}/mfa': { delete: ['200', '400', '401', '403', '404', '409', '429'] },
    '/auth/mfa': { get: ['200', '401', '429'] },
    '/auth/passkeys': { get: ['200', '401', '429'] },
    '/auth/passkeys/register/options': { post: ['200', '400', '401', '403', '409', '413', '415', '429', '503'] },
    '/auth/passkeys/register': { post: ['201', '400', '401', '403', '409', '413', '415', '429', '503'] },
    '/auth/passkeys/{id}': { patch: ['200', '400', '401', '403', '404', '413', '415', '429'], delete: ['200', '400', '401', '403', '404', '429'] },
    '/auth/passkeys/login/options': { post: ['200', '400', '413', '415', '429', '503'] },
    '/auth/passkeys/login': { post: ['200', '400', '401', '403', '413', '415', '429', '503'] },
    '/auth/mfa/totp/enroll': { post: ['200', '400', '401', '409', '413', '415', '429', '503'] },
    '/auth/mfa/totp/confirm': { post: ['200', '400', '401', '409', '413', '415', '429'] },
    '/auth/mfa/recovery-codes': { post: ['200', '400', '401', '403', '409', '413', '415', '429'] },
    '/auth/mfa/totp': { delete: ['200', '400', '401', '403', '409', '413', '415', '429'] },
    '/auth/mfa/verify': { post: ['200', '400', '401', '413', '415', '429'] }
  }
  t.strictSame(Object.keys(doc.paths).sort(), Object.keys(expected).sort())
  for (const [path, methods] of Object.entries(expected)) {
    for (const [method, statuses] of Object.entries(methods)) {
      const operation = doc.paths[path]?.[method] as Operation
      t.ok(operation.summary, `${method} ${path} has a summary`)
      t.ok(operation.tags?.length, `${method} ${path} has tags`)
      for (const status of statuses) {
        const response = operation.responses[status]
        t.ok(response?.content?.['application/json']?.schema, `${method} ${path} documents ${status} with a schema`)
        t.not(response?.description, 'Default Response', `${method} ${path} ${status} says what it means`)
      }
      const errorSchemas = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400)
      for (const [status, response] of errorSchemas) {
        t.strictSame(response.content?.['application/json']?.schema, { $ref: '#/components/schemas/ErrorResponse' }, `${method} ${path} ${status} is an ErrorResponse`)
      }
    }
  }
  for (const [path, method] of [['/auth/me', 'get'], ['/auth/profile', 'get'], ['/auth/me', 'patch'], ['/auth/password', 'patch'], ['/auth/sessions', 'get'], ['/auth/sessions/{id}', 'delete']] as const) {
    t.strictSame(doc.paths[path]?.[method]?.security, [{ bearerAuth: [] }], `${method} ${path} declares the bearer scheme`)
  }
  for (const [path, method] of [['/auth/admin/users', 'get'], ['/auth/admin/users/{id}', 'delete'], ['/auth/admin/users/{id}/role', 'patch']] as const) {
    t.strictSame(doc.paths[path]?.[method]?.security, [{ adminBearerAuth: [] }], `${method} ${path} declares the admin scheme`)
  }
  t.strictSame(doc.paths['/auth/logout']?.post?.security, [{ bearerAuth: [] }, {}], 'logout takes a bearer token or none')
  t.match(doc.components.securitySchemes, {
    bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: /RFC8725/ },
    adminBearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: /admin/ }
  })
  t.ok(doc.components.schemas.User, 'User is a named component')
  t.ok(doc.components.schemas.ErrorResponse, 'ErrorResponse is a named component')
})

t.test('the examples in the document are requests that work, in order: register, login, me', async t => {
  const { app, doc } = await openapi(t)
  const example = (path: string) => doc.paths[path]?.post?.requestBody?.content['application/json']?.example

  const registered = await post(app, '/auth/register', example('/auth/register'))
  t.equal(registered.statusCode, 201, registered.body)
  const login = await post(app, '/auth/login', example('/auth/login'))
  t.equal(login.statusCode, 200, 'the login example signs in the account of the register example')
  const me = await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${login.json().accessToken}` } })
  t.equal(me.statusCode, 200)

  for (const path of ['/auth/signup', '/auth/signin', '/auth/token/verify', '/auth/refresh', '/auth/logout']) {
    const response = await post(app, path, example(path))
    t.not(response.statusCode, 400, `the ${path} example passes validation`)
  }
})

t.test('every operation has a unique operationId, and the aliases are listed apart, not deprecated', async t => {
  const { doc } = await openapi(t)
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ name: `${method} ${path}`, ...operation })))
  const ids = operations.map(operation => operation.operationId)
  for (const operation of operations) t.match(operation.operationId, /^[a-z][A-Za-z]+$/, `${operation.name} has a readable operationId`)
  t.equal(new Set(ids).size, ids.length, 'no two operations share an operationId')
  t.match(Object.fromEntries(operations.map(operation => [operation.name, operation.operationId])), {
    'post /auth/register': 'register',
    'post /auth/login': 'login',
    'post /auth/refresh': 'refreshTokens',
    'get /auth/sessions': 'listSessions',
    'get /auth/admin/users': 'adminListUsers',
    'post /auth/mfa/verify': 'mfaVerify',
    'post /auth/signup': 'registerAlias'
  })
  const aliases = operations.filter(operation => operation.tags?.includes('aliases'))
  t.strictSame(aliases.map(operation => operation.name).sort(),
    ['get /auth/profile', 'post /auth/signin', 'post /auth/signup', 'post /auth/token/refresh'])
  for (const alias of aliases) {
    t.strictSame(alias.tags, ['aliases'], `${alias.name} is listed only under aliases`)
    t.match(alias.summary, /\(alias of (GET|POST) \/auth\/[a-z]+\)$/, `${alias.name} says which operation it repeats`)
    t.equal(alias.deprecated, false, `${alias.name} is not deprecated`)
  }
})

t.test('the rate-limit headers are declared once, on the answers of the routes a limit counts', async t => {
  const { doc } = await openapi(t)
  const headers = (doc.components as { headers?: Record<string, unknown> }).headers
  t.match(headers, { 'X-RateLimit-Limit': {}, 'X-RateLimit-Remaining': {}, 'X-RateLimit-Reset': {}, 'Retry-After': {} })
  const login = doc.paths['/auth/login']?.post as Operation
  t.match(login.responses['200']?.headers, { 'X-RateLimit-Limit': { $ref: '#/components/headers/X-RateLimit-Limit' } })
  t.match(login.responses['429']?.headers, { 'Retry-After': { $ref: '#/components/headers/Retry-After' } })
  t.notOk(login.responses['200']?.headers?.['Retry-After'], 'Retry-After only where the service sends it')
  t.notOk(doc.paths['/health']?.get?.responses['200']?.headers?.['X-RateLimit-Limit'], '/health is not rate limited')
  t.equal(USER_AGENT_MAX_LENGTH, USER_AGENT_MAX, 'the documented user agent length is the stored one')
})
