import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ErrorPresenter } from '../../schemas/common.js'
import { fieldOf, LEGACY_BODY_ERRORS, LEGACY_OVERLOADED, legacyErrors, ROTATING_REFRESH } from '../../schemas/compat/common.js'
import {
  LmsError, LmsLoginBody, LmsLoginReply, LmsLogoutBody, LmsLogoutReply, LmsRefreshBody, LmsRefreshReply,
  LmsRegisterBody, LmsRegisterReply
} from '../../schemas/compat/insighted.js'

const TAG = 'compat: insighted'
const SECURITY = [{ bearerAuth: [] }]
const TOKEN_INVALID = 'Token is invalid or expired'

/** The LMS's statuses and messages for the service's errors; the others keep the service's. */
const MESSAGES: Record<string, [number, string]> = {
  EMAIL_TAKEN: [400, 'user with this email already exists.'],
  USERNAME_TAKEN: [400, 'A user with that username already exists.'],
  INVALID_CREDENTIALS: [401, 'Invalid credentials'],
  UNAUTHORIZED: [401, 'Authentication credentials were not provided.'],
  INVALID_TOKEN: [401, TOKEN_INVALID],
  INVALID_REFRESH_TOKEN: [401, TOKEN_INVALID],
  REFRESH_TOKEN_REUSED: [401, TOKEN_INVALID]
}

/** `{ status: "error", message }`. */
const present: ErrorPresenter = error => {
  if (error.details?.some(detail => detail.path === '/confirmPassword') === true) {
    return { statusCode: 400, body: { status: 'error', message: 'Password fields didn\'t match.' } }
  }
  const [statusCode, message] = MESSAGES[error.code] ?? [
    error.statusCode,
    error.details?.map(detail => `${fieldOf(detail.path)}: ${detail.message}`).join('; ') ?? error.message
  ]
  return { statusCode, body: { status: 'error', message } }
}

async function emptyBody (request: FastifyRequest) {
  request.body ??= {}
}

function errors (reasons: Record<number, string>) {
  return legacyErrors(LmsError, reasons)
}

/** `Student`, `Instructor`: the role as the LMS's messages name it. */
function title (role: string): string {
  return role.charAt(0).toUpperCase() + role.slice(1)
}

/** The InsightED LMS API at its own paths (/api/auth/register/, …). */
const insighted: FastifyPluginAsyncTypebox = async function insighted (fastify) {
  const { accounts, sessionActions, config } = fastify

  fastify.post('/api/auth/register/', {
    config: { limit: 'signup', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'insightedRegister',
      summary: 'Register a student or an instructor',
      description: 'Creates an account and signs it in. `role` is one of SIGNUP_ROLES (`student`, `instructor`); ' +
        '`admin` is refused with 403. `first_name` and `last_name` make the name; they and `keahlian` are kept in ' +
        'the account\'s metadata.',
      body: LmsRegisterBody(config.passwordMinLength),
      response: {
        201: LmsRegisterReply,
        ...errors({
          400: 'A missing or invalid field, `Password fields didn\'t match.`, or a taken username or email.',
          403: 'The role cannot be chosen at signup: `admin`, or a role SIGNUP_ROLES leaves out.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function register (request, reply) {
    const { username, password, password2, email, role, first_name: first, last_name: last, keahlian } = request.body
    // Django allows blank names: only the parts given make the account's name and metadata.
    const parts = { first_name: first?.trim(), last_name: last?.trim() }
    const name = [parts.first_name, parts.last_name].filter(part => part !== undefined && part !== '').join(' ')
    const metadata: Record<string, string | number> = {}
    for (const [key, value] of Object.entries({ ...parts, keahlian })) {
      if (value !== undefined && value !== '') metadata[key] = value
    }
    const { user, accessToken, refreshToken } = await accounts.register({
      username, password, confirmPassword: password2, email, role, metadata, name: name === '' ? undefined : name
    }, request.client)
    return reply.code(201).send({
      status: 'success' as const,
      message: `${title(user.role)} registered successfully`,
      user: { id: user.id, username: user.username ?? username, email: user.email, role: user.role },
      tokens: { access: accessToken, refresh: refreshToken }
    })
  })

  fastify.post('/api/auth/login/', {
    config: { limit: 'login', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'insightedLogin',
      summary: 'Log in',
      description: 'Checks the username and password and starts a session.',
      body: LmsLoginBody,
      response: {
        200: LmsLoginReply,
        ...errors({
          400: 'A missing or invalid field.',
          401: '`Invalid credentials`: the same for a wrong password and an unknown username.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function login (request) {
    const { username, password } = request.body
    const { user, accessToken, refreshToken } = await accounts.login({ username, password }, request.client, false)
    return {
      status: 'success' as const,
      user: { id: user.id, username: user.username ?? username, role: user.role },
      tokens: { access: accessToken, refresh: refreshToken }
    }
  })

  fastify.post('/api/auth/token/refresh/', {
    config: { limit: 'refresh', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'insightedRefreshTokens',
      summary: 'Refresh the tokens',
      description: ROTATING_REFRESH,
      body: LmsRefreshBody,
      response: {
        200: LmsRefreshReply,
        ...errors({
          400: 'The field is missing or invalid.',
          401: '`Token is invalid or expired`: unknown, expired, spent, or of an ended session.',
          ...LEGACY_BODY_ERRORS
        })
      }
    }
  }, async function refresh (request) {
    const { accessToken, refreshToken } = await sessionActions.refresh(request.body.refresh, request.client)
    return { status: 'success' as const, tokens: { access: accessToken, refresh: refreshToken } }
  })

  fastify.post('/api/auth/logout/', {
    // An absent body is an empty one: the Bearer token alone names the session. The token is checked
    // before the body, as Django REST framework authenticates before it validates.
    preValidation: [emptyBody, fastify.authenticate],
    config: { presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'insightedLogout',
      summary: 'Log out',
      description: 'Ends the session of the Bearer token, and of `refresh` if it is the same user\'s: their ' +
        'tokens are refused at once, on every route.',
      security: SECURITY,
      body: LmsLogoutBody,
      response: {
        200: LmsLogoutReply,
        ...errors({
          400: 'The field is invalid.',
          401: 'No Bearer token, or one that is invalid, expired or ended.',
          ...LEGACY_BODY_ERRORS
        })
      }
    }
  }, async function logout (request) {
    await sessionActions.logout({
      session: request.actor, refreshToken: request.body.refresh
    }, request.client)
    return { status: 'success' as const, message: 'User logged out successfully' as const }
  })
}

export default insighted
