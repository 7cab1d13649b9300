import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ErrorPresenter } from '../../schemas/common.js'
import { fieldOf, LEGACY_BODY_ERRORS, LEGACY_OVERLOADED, legacyErrors } from '../../schemas/compat/common.js'
import {
  DjangoEmpty, DjangoError, DjangoLoginBody, DjangoLogoutBody, DjangoRefreshBody, DjangoRegisterBody,
  DjangoRegisterReply, DjangoTokens, DjangoVerifyBody
} from '../../schemas/compat/simplejwt.js'

const TAG = 'compat: simplejwt'
const SECURITY = [{ bearerAuth: [] }]
const TOKEN_NOT_VALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' }

/** What Django REST framework and simplejwt answered for the service's errors. */
const BODIES: Record<string, [number, Record<string, unknown>]> = {
  EMAIL_TAKEN: [400, { email: ['user with this email already exists.'] }],
  USERNAME_TAKEN: [400, { username: ['A user with that username already exists.'] }],
  INVALID_CREDENTIALS: [401, { detail: 'No active account found with the given credentials' }],
  UNAUTHORIZED: [401, { detail: 'Authentication credentials were not provided.' }],
  INVALID_TOKEN: [401, TOKEN_NOT_VALID],
  INVALID_REFRESH_TOKEN: [401, TOKEN_NOT_VALID],
  REFRESH_TOKEN_REUSED: [401, TOKEN_NOT_VALID]
}

/** A serializer's `{ field: [messages] }`, a known error's DRF body, or `{ detail }`. */
const present: ErrorPresenter = error => {
  if (error.details !== undefined) {
    const fields: Record<string, string[]> = {}
    for (const { path, message } of error.details) {
      (fields[fieldOf(path)] ??= []).push(message === 'is required' ? 'This field is required.' : message)
    }
    return { statusCode: 400, body: fields }
  }
  // As Django's password validators answered: on the field, in a list.
  if (error.code === 'PASSWORD_TOO_COMMON') return { statusCode: 400, body: { password: [error.message] } }
  const [statusCode, body] = BODIES[error.code] ?? [error.statusCode, { detail: error.message }]
  return { statusCode, body }
}

async function emptyBody (request: FastifyRequest) {
  request.body ??= {}
}

function errors (reasons: Record<number, string>) {
  return legacyErrors(DjangoError, reasons)
}

/** The simplejwt API at its own paths, trailing slashes included (/api/auth/login/, …). */
const simplejwt: FastifyPluginAsyncTypebox = async function simplejwt (fastify) {
  const { accounts, sessionActions, config } = fastify

  fastify.post('/api/auth/register/', {
    config: { limit: 'signup', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'simplejwtRegister',
      summary: 'Register',
      description: 'Creates an account; the client logs in next. A taken email or username is a 400 on its field.',
      body: DjangoRegisterBody(config.passwordMinLength),
      response: {
        201: DjangoRegisterReply,
        ...errors({
          400: '`{ "field": ["message"] }`: a missing or invalid field, a taken email or username, or a password ' +
            'too common or too easy to guess (on `password`).',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function register (request, reply) {
    const { username, email, password } = request.body
    const user = await accounts.signUp({ username, email, password }, request.client)
    return reply.code(201).send({
      message: 'User registered successfully' as const, user: { username: user.username ?? username, email: user.email }
    })
  })

  fastify.post('/api/auth/login/', {
    config: { limit: 'login', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'simplejwtLogin',
      summary: 'Log in (TokenObtainPairView)',
      description: 'Checks the username and password and starts a session.',
      body: DjangoLoginBody,
      response: {
        200: DjangoTokens,
        ...errors({
          400: '`{ "field": ["message"] }` for a missing or invalid field.',
          401: '`No active account found with the given credentials`: the same for a wrong password and an ' +
          'unknown username.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function login (request) {
    const { username, password } = request.body
    const { accessToken, refreshToken } = await accounts.login({ username, password }, request.client, false)
    return { access: accessToken, refresh: refreshToken }
  })

  fastify.post('/api/auth/token/verify/', {
    config: { routine: true, presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'simplejwtVerifyToken',
      summary: 'Verify an access token (TokenVerifyView)',
      description: '200 `{}` while the token is valid and its session live; 401 `token_not_valid` otherwise.',
      body: DjangoVerifyBody,
      response: {
        200: DjangoEmpty,
        ...errors({
          400: '`{ "token": ["message"] }`.',
          401: '`token_not_valid`: invalid, expired, of an ended session, or not an access token.',
          ...LEGACY_BODY_ERRORS
        })
      }
    }
  }, async function verify (request) {
    await fastify.verifyAccessToken(request.body.token)
    return {}
  })

  fastify.post('/api/auth/token/refresh/', {
    config: { limit: 'refresh', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'simplejwtRefreshTokens',
      summary: 'Refresh the tokens (TokenRefreshView)',
      description: 'A new access token and a new refresh token, as simplejwt answers with ROTATE_REFRESH_TOKENS; ' +
        'the one sent is spent. A spent token sent again by another client, or after the grace window, ends its ' +
        'session.',
      body: DjangoRefreshBody,
      response: {
        200: DjangoTokens,
        ...errors({
          400: '`{ "refresh": ["message"] }`.',
          401: '`token_not_valid`: unknown, expired, spent, or of an ended session.',
          ...LEGACY_BODY_ERRORS
        })
      }
    }
  }, async function refresh (request) {
    const { accessToken, refreshToken } = await sessionActions.refresh(request.body.refresh, request.client)
    return { access: accessToken, refresh: refreshToken }
  })

  fastify.post('/api/auth/logout/', {
    // An absent body is an empty one: the Bearer token alone names the session. The token is checked
    // before the body, as Django REST framework authenticates before it validates.
    preValidation: [emptyBody, fastify.authenticate],
    config: { presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'simplejwtLogout',
      summary: 'Log out (blacklist the refresh token)',
      description: 'Ends the session of the Bearer token, and of `refresh_token` if it is the same user\'s: ' +
        'their tokens are refused at once, on every route. 205 Reset Content, no body.',
      security: SECURITY,
      body: DjangoLogoutBody,
      response: {
        205: { type: 'null', description: 'Logged out.' },
        ...errors({
          400: '`{ "refresh_token": ["message"] }`.',
          401: 'No Bearer token (`Authentication credentials were not provided.`), or `token_not_valid`.',
          ...LEGACY_BODY_ERRORS
        })
      }
    }
  }, async function logout (request, reply) {
    await sessionActions.logout({
      session: request.actor, refreshToken: request.body.refresh_token
    }, request.client)
    return reply.code(205).send()
  })
}

export default simplejwt
