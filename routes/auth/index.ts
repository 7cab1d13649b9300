import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from '@sinclair/typebox'
import {
  Amr, type AuthResult, LoginBody, LoginReply, RegisterBody, RegisterReply, VerifyBody, VerifyReply
} from '../../schemas/auth.js'
import {
  aliasSummary, ALIASES_TAG, BEARER_SECURITY, BODY_ERRORS, COMMON_ERRORS, NEW_PASSWORD_BODY_ERRORS, OVERLOADED, errors,
  UNAUTHORIZED_REASON
} from '../../schemas/common.js'
import { MfaChallengeReply } from '../../schemas/mfa.js'
import { User } from '../../schemas/user.js'
import accountRoutes from './account.js'
import adminRoutes from './admin/index.js'
import emailRoutes from './email.js'
import mfaRoutes from './mfa.js'
import passkeyRoutes from './passkeys.js'
import sessionRoutes from './sessions.js'

const UNAUTHORIZED = { 401: UNAUTHORIZED_REASON }

/** The account and token endpoints, mounted at /auth. Aliases keep the seed APIs' clients working. */
const auth: FastifyPluginAsyncTypebox = async function auth (fastify) {
  const { config, accounts } = fastify

  /** Browser clients ask for cookie mode: their refresh token goes into an HttpOnly cookie, not the body. */
  function deliver (reply: FastifyReply, result: AuthResult, cookie: boolean | undefined): Omit<AuthResult, 'refreshToken'> {
    return cookie === true ? fastify.withRefreshCookie(reply, result) : result
  }

  const registerSchema = {
    description: 'Creates an account and signs it in. Roles that may be chosen: ' +
      config.signupRoles.map(role => `\`${role}\``).join(', ') + ` (default \`${config.signupRoles[0]}\`).`,
    body: RegisterBody(config.passwordMinLength),
    response: {
      201: RegisterReply,
      ...errors({
        ...NEW_PASSWORD_BODY_ERRORS,
        403: 'The requested role cannot be chosen at signup (code ROLE_NOT_ALLOWED).',
        409: 'The email or username is taken (code EMAIL_TAKEN or USERNAME_TAKEN).',
        ...COMMON_ERRORS,
        429: 'Too many signups from this client (code RATE_LIMITED), or the service takes no more new accounts ' +
          'for now (code SIGNUP_CAPACITY_REACHED); retry after `Retry-After` seconds.',
        ...OVERLOADED
      })
    }
  }
  for (const [url, operationId, summary, tag] of [
    ['/register', 'register', 'Register a new account', 'auth'],
    ['/signup', 'registerAlias', aliasSummary('Register', 'POST', `${config.authPrefix}/register`), ALIASES_TAG]
  ]) {
    fastify.post(url as string, {
      config: { limit: 'signup' },
      schema: { ...registerSchema, operationId, summary, tags: [tag as string] }
    }, async function register (request, reply) {
      const { cookie, ...input } = request.body
      // EMAIL_VERIFICATION=required: no session until the address is proven.
      if (config.email.verification === 'required') {
        return reply.code(201).send({ message: 'User registered successfully', user: await accounts.signUp(input, request.client) })
      }
      const result = await accounts.register(input, request.client)
      return reply.code(201).send({ message: 'User registered successfully', ...deliver(reply, result, cookie) })
    })
  }

  const loginSchema = {
    description: 'Checks the password and starts a session: returns an access token and a refresh token. ' +
      'For an account with two-factor on, returns `mfaRequired` and an `mfaToken` instead: send the code to ' +
      '`POST /auth/mfa/verify` to get the tokens.',
    body: LoginBody,
    response: {
      200: Type.Union([LoginReply, MfaChallengeReply], { description: 'Signed in, or waiting for the second factor.' }),
      ...errors({
        ...BODY_ERRORS,
        401: 'Wrong email, username or password (code INVALID_CREDENTIALS); ' +
          'the answer is the same for an unknown account.',
        403: 'With EMAIL_VERIFICATION=required, the password is right but the address is not verified yet ' +
          '(code EMAIL_NOT_VERIFIED).',
        ...COMMON_ERRORS,
        429: 'Too many requests from this client (code RATE_LIMITED), or too many failed logins for this email ' +
          'or username (code TOO_MANY_ATTEMPTS); retry after `Retry-After` seconds.',
        ...OVERLOADED
      })
    }
  }
  for (const [url, operationId, summary, tag] of [
    ['/login', 'login', 'Log in', 'auth'],
    ['/signin', 'loginAlias', aliasSummary('Log in', 'POST', `${config.authPrefix}/login`), ALIASES_TAG]
  ]) {
    fastify.post(url as string, {
      config: { limit: 'login' },
      schema: { ...loginSchema, operationId, summary, tags: [tag as string] }
    }, async function login (request, reply) {
      const { cookie, ...input } = request.body
      const outcome = await accounts.login(input, request.client)
      return 'mfaRequired' in outcome ? outcome : deliver(reply, outcome, cookie)
    })
  }

  const meSchema = {
    description: 'The signed-in user. Requires `Authorization: Bearer <accessToken>`.',
    security: BEARER_SECURITY,
    response: {
      200: Type.Object({ ...User.properties, amr: Amr }, {
        additionalProperties: false, description: 'The signed-in user, and how this session was signed in.'
      }),
      ...errors({ ...UNAUTHORIZED, ...COMMON_ERRORS })
    }
  }
  for (const [url, operationId, summary, tag] of [
    ['/me', 'getMe', 'The signed-in user', 'auth'],
    ['/profile', 'getMeAlias', aliasSummary('The signed-in user', 'GET', `${config.authPrefix}/me`), ALIASES_TAG]
  ]) {
    fastify.get(url as string, {
      preHandler: [fastify.authenticate],
      config: { routine: true },
      schema: { ...meSchema, operationId, summary, tags: [tag as string] }
    }, function me (request) {
      return fastify.users.viewCurrent(request.account, request.user.amr ?? ['pwd'])
    })
  }

  fastify.post('/token/verify', {
    config: { routine: true },
    schema: {
      operationId: 'verifyToken',
      summary: 'Verify an access token',
      description: 'Answers 200 with the token’s claims while the token is valid and its session live; ' +
        '401 otherwise. A refresh token is not an access token.',
      tags: ['auth'],
      body: VerifyBody,
      response: {
        200: VerifyReply,
        ...errors({
          ...BODY_ERRORS,
          401: 'The token is invalid, expired, revoked or not an access token (code INVALID_TOKEN).',
          ...COMMON_ERRORS
        })
      }
    }
  }, function verify (request) {
    const claims = fastify.verifyAccessToken(request.body.token)
    return claims instanceof Promise
      ? claims.then(payload => ({ valid: true as const, payload }))
      : { valid: true as const, payload: claims }
  })

  await fastify.register(sessionRoutes)
  await fastify.register(accountRoutes)
  await fastify.register(emailRoutes)
  await fastify.register(mfaRoutes, { deliver })
  await fastify.register(passkeyRoutes, { deliver })
  await fastify.register(adminRoutes, { prefix: '/admin' })
}

export default auth
