import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ErrorPresenter } from '../../schemas/common.js'
import { fieldOf, LEGACY_BODY_ERRORS, LEGACY_OVERLOADED, legacyErrors } from '../../schemas/compat/common.js'
import {
  SpringError, SpringLoginBody, SpringOk, SpringPasswordBody, SpringRegisterBody, SpringToken
} from '../../schemas/compat/spring.js'

const TAG = 'compat: spring'
const SECURITY = [{ bearerAuth: [] }]
const MISMATCH = 'Password tidak cocok'

/** The messages and statuses the Spring API gave; the others keep the service's status and message. */
const MESSAGES: Record<string, [number, string]> = {
  EMAIL_TAKEN: [400, 'Email sudah terdaftar'],
  INVALID_CREDENTIALS: [401, 'Username atau password tidak valid'],
  UNAUTHORIZED: [401, 'Unauthorized'],
  INVALID_TOKEN: [401, 'Unauthorized']
}

/** `{ errors: "…" }`; a validation failure as Bean Validation words it, `field: message, …`. */
const present: ErrorPresenter = error => {
  if (error.details?.some(detail => detail.message.startsWith('must equal')) === true) {
    return { statusCode: 400, body: { errors: MISMATCH } }
  }
  const [statusCode, message] = MESSAGES[error.code] ??
    [error.statusCode, error.details?.map(detail => `${fieldOf(detail.path)}: ${detail.message}`).join(', ') ?? error.message]
  return { statusCode, body: { errors: message } }
}

function errors (reasons: Record<number, string>) {
  return legacyErrors(SpringError, reasons)
}

/** The Spring API at its own paths (/auth/register, /auth/login, /auth/logout, /auth/password). */
const spring: FastifyPluginAsyncTypebox = async function spring (fastify) {
  const { accounts, profile, sessionActions, config } = fastify

  fastify.post('/auth/register', {
    config: { limit: 'signup', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'springRegister',
      summary: 'Register',
      description: 'Creates an account; the client logs in next. 400 `Email sudah terdaftar` when the email is ' +
        'taken, 400 `Password tidak cocok` when the confirmation differs.',
      body: SpringRegisterBody(config.passwordMinLength),
      response: {
        201: SpringOk,
        ...errors({
          400: '`Email sudah terdaftar`, `Password tidak cocok`, or `field: message, …` for an invalid field.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function register (request, reply) {
    const { email, name, password, confirmPassword } = request.body
    await accounts.signUp({ email, name, password, confirmPassword }, request.client)
    return reply.code(201).send({ data: 'OK' as const })
  })

  fastify.post('/auth/login', {
    config: { limit: 'login', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'springLogin',
      summary: 'Log in',
      description: 'Checks the email and password and starts a session. The client holds only this token, ' +
        'so it lives ACCESS_TOKEN_TTL (see docs/migrating/spring.md); a logout still ends it at once.',
      body: SpringLoginBody,
      response: {
        200: SpringToken,
        ...errors({
          400: '`field: message, …` for a missing or invalid field.',
          401: '`Username atau password tidak valid`: the same for a wrong password and an unknown email.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function login (request) {
    const { email, password } = request.body
    const { accessToken } = await accounts.login({ email, password }, request.client, false)
    return { data: { token: accessToken } }
  })

  fastify.post('/auth/logout', {
    preHandler: [fastify.authenticate],
    config: { presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'springLogout',
      summary: 'Log out',
      description: 'Ends the session of the token: it is refused at once, on every route.',
      security: SECURITY,
      response: { 200: SpringOk, ...errors({ 401: '`Unauthorized`: no token, or one that is invalid, expired or ended.' }) }
    }
  }, async function logout (request) {
    await sessionActions.logout({ session: request.actor }, request.client)
    return { data: 'OK' as const }
  })

  fastify.patch('/auth/password', {
    // The token before the body, as Spring Security's filters run before the controller validates.
    preValidation: [fastify.authenticate],
    preHandler: [fastify.requireSecondFactor],
    config: { limit: 'password', presentError: present },
    schema: {
      tags: [TAG],
      operationId: 'springChangePassword',
      summary: 'Change the password',
      description: 'Checks the current password and sets the new one; every other session of the user ends. ' +
        '401 `Username atau password tidak valid` when the current password is wrong.',
      security: SECURITY,
      body: SpringPasswordBody(config.passwordMinLength),
      response: {
        200: SpringOk,
        ...errors({
          400: '`Password tidak cocok`, or `field: message, …` for an invalid field.',
          401: '`Username atau password tidak valid` (the current password is wrong), or `Unauthorized`.',
          ...LEGACY_BODY_ERRORS,
          ...LEGACY_OVERLOADED
        })
      }
    }
  }, async function changePassword (request) {
    const { currentPassword, newPassword, confirmNewPassword } = request.body
    await profile.changePassword(request.actor, { currentPassword, newPassword, confirmNewPassword }, request.client)
    return { data: 'OK' as const }
  })
}

export default spring
