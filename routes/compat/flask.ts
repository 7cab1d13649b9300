import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ErrorPresenter } from '../../schemas/common.js'
import { fieldOf, LEGACY_BODY_ERRORS, LEGACY_OVERLOADED, legacyErrors } from '../../schemas/compat/common.js'
import {
  FlaskError, FlaskLoginBody, FlaskRegisterBody, FlaskRegisterReply, FlaskToken, FlaskUserInfo
} from '../../schemas/compat/flask.js'

const TAG = 'compat: flask'

/** Flask-JWT's `error` and `description` for the service's errors; the others keep the service's words. */
const ERRORS: Record<string, [string, string]> = {
  INVALID_CREDENTIALS: ['Bad Request', 'Invalid credentials'],
  UNAUTHORIZED: ['Authorization Required', 'Request does not contain an access token'],
  INVALID_TOKEN: ['Invalid token', 'Token is invalid, expired or revoked']
}

/** `{ status_code, error, description }`, as Flask-JWT's JWTError answered. */
const present: ErrorPresenter = error => {
  const [title, description] = ERRORS[error.code] ?? [
    error.error,
    error.details?.map(detail => `${fieldOf(detail.path)}: ${detail.message}`).join('; ') ?? error.message
  ]
  return { statusCode: error.statusCode, body: { status_code: error.statusCode, error: title, description } }
}

function errors (reasons: Record<number, string>) {
  return legacyErrors(FlaskError, reasons)
}

/** The Flask API at its own paths (/api/register, /api/login, /api/user-info); its pages are the service's. */
const flask: FastifyPluginAsyncTypebox = async function flask (fastify) {
  const { accounts, config } = fastify

  fastify.post('/api/register', {
    config: { limit: 'signup', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'flaskRegister',
      summary: 'Register',
      description: 'Creates an account; the client logs in next. 409 when the email is taken.',
      body: FlaskRegisterBody(config.passwordMinLength),
      response: {
        201: FlaskRegisterReply,
        ...errors({
          400: 'A missing or invalid field: `description` says which.',
          409: 'An account with this email already exists.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function register (request, reply) {
    const { name, email, password } = request.body
    await accounts.signUp({ name, email, password }, request.client)
    return reply.code(201).send({ message: 'User registered successfully' as const })
  })

  fastify.post('/api/login', {
    config: { limit: 'login', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'flaskLogin',
      summary: 'Log in',
      description: 'Checks the email and password and starts a session. The client holds only this token, ' +
        'so it lives ACCESS_TOKEN_TTL (see docs/migrating/flask.md).',
      body: FlaskLoginBody,
      response: {
        200: FlaskToken,
        ...errors({
          400: 'A missing or invalid field: `description` says which.',
          401: '`Invalid credentials`: the same for a wrong password and an unknown email.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function login (request) {
    const { email, password } = request.body
    const { accessToken } = await accounts.login({ email, password }, request.client, false)
    return { access_token: accessToken }
  })

  fastify.get('/api/user-info', {
    preHandler: [fastify.authenticate],
    config: { routine: true, presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'flaskUserInfo',
      summary: 'The signed-in user',
      security: [{ bearerAuth: [] }],
      response: { 200: FlaskUserInfo, ...errors({ 401: 'No token (`Authorization Required`), or one that is invalid, expired or ended (`Invalid token`).' }) }
    }
  }, function userInfo (request) {
    const { id, name, email } = request.account
    return { id, name, email }
  })
}

export default flask
