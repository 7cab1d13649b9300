import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { clientInfo } from '../../plugins/auth.js'
import { BEARER_SECURITY } from '../../plugins/swagger.js'
import type { AuthResult } from '../../src/accounts.js'
import { toPublicUser } from '../../src/users.js'
import { LoginBody, LoginReply, RegisterBody, RegisterReply, VerifyBody, VerifyReply } from '../../schemas/auth.js'
import { BODY_ERRORS, COMMON_ERRORS, OVERLOADED, errors, ref, UNAUTHORIZED_REASON } from '../../schemas/common.js'
import { User } from '../../schemas/user.js'
import accountRoutes from './account.js'
import adminRoutes from './admin/index.js'
import sessionRoutes from './sessions.js'

/** Body fields that hold passwords, in any route of this module. */
const PASSWORD_FIELDS = ['password', 'confirmPassword', 'currentPassword', 'newPassword', 'confirmNewPassword']

/**
 * Passwords are NFC-normalized before validation, so their length limits, the equality of
 * `confirmPassword`, and the hash all see the same text, however the accents were typed.
 */
function normalizePasswords (request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const body = request.body as Record<string, unknown> | null | undefined
  if (body !== null && typeof body === 'object') {
    for (const field of PASSWORD_FIELDS) {
      const value = body[field]
      if (typeof value === 'string') body[field] = value.normalize('NFC')
    }
  }
  done()
}

/** The top-level fields a body schema names, in any of its alternatives. */
function bodyFields (schema: unknown): string[] {
  if (schema === null || typeof schema !== 'object') return []
  const { properties, anyOf, oneOf, allOf } = schema as Record<string, unknown>
  return [
    ...Object.keys(properties ?? {}),
    ...[anyOf, oneOf, allOf].flatMap(branches => Array.isArray(branches) ? branches.flatMap(bodyFields) : [])
  ]
}

const UNAUTHORIZED = { 401: UNAUTHORIZED_REASON }

/** The account and token endpoints, mounted at /auth. Aliases keep the seed APIs' clients working. */
const auth: FastifyPluginAsyncTypebox = async function auth (fastify) {
  const { config, accounts, endpointLimits } = fastify
  // On the routes whose body has a password field, of this module and its children: the token
  // checks, called far more often, run no hook for it.
  fastify.addHook('onRoute', route => {
    if (bodyFields(route.schema?.body).some(field => PASSWORD_FIELDS.includes(field))) {
      route.preValidation = [normalizePasswords, ...[route.preValidation ?? []].flat()]
    }
  })

  /** Browser clients ask for cookie mode: their refresh token goes into an HttpOnly cookie, not the body. */
  function deliver (reply: FastifyReply, result: AuthResult, cookie: boolean | undefined) {
    return cookie === true ? fastify.withRefreshCookie(reply, result) : result
  }

  const registerSchema = {
    tags: ['auth'],
    description: 'Creates an account and signs it in. Roles that may be chosen: ' +
      config.signupRoles.map(role => `\`${role}\``).join(', ') + ` (default \`${config.signupRoles[0]}\`).`,
    body: RegisterBody(config.passwordMinLength),
    response: {
      201: RegisterReply,
      ...errors({
        ...BODY_ERRORS,
        403: 'The requested role cannot be chosen at signup (code ROLE_NOT_ALLOWED).',
        409: 'The email or username is taken (code EMAIL_TAKEN or USERNAME_TAKEN).',
        ...COMMON_ERRORS,
        429: 'Too many signups from this client (code RATE_LIMITED), or the service takes no more new accounts for now (code SIGNUP_CAPACITY_REACHED); retry after `Retry-After` seconds.',
        ...OVERLOADED
      })
    }
  }
  for (const [url, summary] of [['/register', 'Register a new account'], ['/signup', 'Register (alias of /auth/register)']]) {
    fastify.post(url as string, {
      onRequest: endpointLimits.signup,
      config: { rateLimit: false },
      schema: { ...registerSchema, summary }
    }, async function register (request, reply) {
      const { cookie, ...input } = request.body
      const result = await accounts.register(input, clientInfo(request))
      return reply.code(201).send({ message: 'User registered successfully', ...deliver(reply, result, cookie) })
    })
  }

  const loginSchema = {
    tags: ['auth'],
    description: 'Checks the password and starts a session: returns an access token and a refresh token.',
    body: LoginBody,
    response: {
      200: LoginReply,
      ...errors({
        ...BODY_ERRORS,
        401: 'Wrong email, username or password (code INVALID_CREDENTIALS); the answer is the same for an unknown account.',
        ...COMMON_ERRORS,
        429: 'Too many requests from this client (code RATE_LIMITED), or too many failed logins for this email or username (code TOO_MANY_ATTEMPTS); retry after `Retry-After` seconds.',
        ...OVERLOADED
      })
    }
  }
  for (const [url, summary] of [['/login', 'Log in'], ['/signin', 'Log in (alias of /auth/login)']]) {
    fastify.post(url as string, {
      onRequest: endpointLimits.login,
      config: { rateLimit: false },
      schema: { ...loginSchema, summary }
    }, async function login (request, reply) {
      const { cookie, ...input } = request.body
      return deliver(reply, await accounts.login(input, clientInfo(request)), cookie)
    })
  }

  const meSchema = {
    tags: ['auth'],
    description: 'The signed-in user. Requires `Authorization: Bearer <accessToken>`.',
    security: BEARER_SECURITY,
    response: { 200: ref(User, { description: 'The signed-in user.' }), ...errors({ ...UNAUTHORIZED, ...COMMON_ERRORS }) }
  }
  for (const [url, summary] of [['/me', 'The signed-in user'], ['/profile', 'The signed-in user (alias of /auth/me)']]) {
    fastify.get(url as string, {
      preHandler: [fastify.authenticate],
      config: { routine: true },
      schema: { ...meSchema, summary }
    }, function me (request) {
      return toPublicUser(request.account)
    })
  }

  fastify.post('/token/verify', {
    config: { routine: true },
    schema: {
      summary: 'Verify an access token',
      description: 'Answers 200 with the token’s claims while the token is valid and its session live; 401 otherwise. A refresh token is not an access token.',
      tags: ['auth'],
      body: VerifyBody,
      response: {
        200: VerifyReply,
        ...errors({ ...BODY_ERRORS, 401: 'The token is invalid, expired, revoked or not an access token (code INVALID_TOKEN).', ...COMMON_ERRORS })
      }
    }
  }, function verify (request) {
    const claims = fastify.verifyAccessToken(request.body.token)
    return claims instanceof Promise ? claims.then(payload => ({ valid: true as const, payload })) : { valid: true as const, payload: claims }
  })

  // Children of this plugin, so the password normalization above applies to their routes too.
  await fastify.register(sessionRoutes)
  await fastify.register(accountRoutes)
  await fastify.register(adminRoutes, { prefix: '/admin' })
}

export default auth
