import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ErrorPresenter } from '../../schemas/common.js'
import { fieldOf, LEGACY_BODY_ERRORS, LEGACY_OVERLOADED, legacyErrors, ROTATING_REFRESH } from '../../schemas/compat/common.js'
import {
  NestError, NestMessage, NestProfile, NestRefreshBody, NestSigninBody, NestSigninReply, NestSignupBody,
  NestSignupReply, NestTokens
} from '../../schemas/compat/nestjs.js'

const TAG = 'compat: nestjs'
const SECURITY = [{ bearerAuth: [] }]

/** The messages the NestJS API gave for the service's errors; the others keep the service's message. */
const MESSAGES: Record<string, [number, string]> = {
  EMAIL_TAKEN: [409, 'Email already exists'],
  USERNAME_TAKEN: [409, 'Username already exists'],
  INVALID_CREDENTIALS: [401, 'Invalid credentials'],
  UNAUTHORIZED: [401, 'Unauthorized'],
  INVALID_TOKEN: [401, 'Unauthorized'],
  INVALID_REFRESH_TOKEN: [401, 'Invalid refresh token'],
  REFRESH_TOKEN_REUSED: [401, 'Invalid refresh token']
}

/** NestJS's `{ statusCode, error, message }`, with class-validator's list of messages on a 400. */
const present: ErrorPresenter = error => {
  const [statusCode, message] = MESSAGES[error.code] ?? [error.statusCode, error.message]
  const messages = error.details?.map(detail => `${fieldOf(detail.path)} ${detail.message}`)
  return {
    statusCode,
    body: { statusCode, error: statusCode === error.statusCode ? error.error : 'Unauthorized', message: messages ?? message }
  }
}

/** Every status a route of this profile can answer with an error, in NestJS's shape. */
function errors (reasons: Record<number, string>) {
  return legacyErrors(NestError, reasons)
}

/** The NestJS API at its own paths (/auth/signup, /auth/signin, …), over the service's own use-cases. */
const nestjs: FastifyPluginAsyncTypebox = async function nestjs (fastify) {
  const { accounts, sessionActions, config } = fastify

  fastify.post('/auth/signup', {
    config: { limit: 'signup', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'nestjsSignup',
      summary: 'Sign up',
      description: 'Creates an account; the client signs in next. 409 when the email or username is taken.',
      body: NestSignupBody(config.passwordMinLength),
      response: {
        201: NestSignupReply,
        ...errors({
          400: 'A field is missing or invalid: `message` lists each.',
          409: '`Username already exists` or `Email already exists`.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function signup (request, reply) {
    const { email, username, password, name } = request.body
    const user = await accounts.signUp({ email, username, password, name }, request.client)
    const { id, createdAt, updatedAt } = user
    return reply.code(201).send({
      user: { id, email: user.email, username: user.username, name: user.name, createdAt, updatedAt },
      message: 'User created successfully'
    })
  })

  fastify.post('/auth/signin', {
    config: { limit: 'login', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'nestjsSignin',
      summary: 'Sign in',
      description: 'Checks the username and password and starts a session.',
      body: NestSigninBody,
      response: {
        200: NestSigninReply,
        ...errors({
          400: 'A field is missing or invalid: `message` lists each.',
          401: '`Invalid credentials`: the same answer for a wrong password and an unknown username.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function signin (request) {
    const { username, password } = request.body
    const { user, accessToken, refreshToken } = await accounts.login({ username, password }, request.client, false)
    return { user: { id: user.id, username: user.username, email: user.email, name: user.name }, accessToken, refreshToken }
  })

  fastify.post('/auth/refresh', {
    config: { limit: 'refresh', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'nestjsRefreshTokens',
      summary: 'Refresh the tokens',
      description: ROTATING_REFRESH,
      body: NestRefreshBody,
      response: {
        200: NestTokens,
        ...errors({
          400: 'The field is missing or invalid.',
          401: '`Invalid refresh token`: unknown, expired, spent, or of an ended session.',
          ...LEGACY_BODY_ERRORS
        })
      }
    }
  }, async function refresh (request) {
    const { accessToken, refreshToken } = await sessionActions.refresh(request.body.refreshToken, request.client)
    return { accessToken, refreshToken }
  })

  fastify.post('/auth/logout', {
    preHandler: [fastify.authenticate],
    config: { presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'nestjsLogout',
      summary: 'Log out',
      description: 'Ends the session of the access token: its tokens are refused at once, on every route.',
      security: SECURITY,
      response: { 200: NestMessage, ...errors({ 401: '`Unauthorized`: no access token, or one that is invalid, expired or ended.' }) }
    }
  }, async function logout (request) {
    await sessionActions.logout({ session: request.actor }, request.client)
    return { message: 'Logged out successfully' }
  })

  fastify.get('/auth/profile', {
    preHandler: [fastify.authenticate],
    config: { routine: true, presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'nestjsProfile',
      summary: 'The signed-in user',
      security: SECURITY,
      response: { 200: NestProfile, ...errors({ 401: '`Unauthorized`: no access token, or one that is invalid, expired or ended.' }) }
    }
  }, function profile (request) {
    const { id, username, email } = request.account
    return { userId: id, username, email }
  })
}

export default nestjs
