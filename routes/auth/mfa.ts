import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { type AuthResult, LoginReply } from '../../schemas/auth.js'
import {
  BEARER_SECURITY, BODY_ERRORS, COMMON_ERRORS, OVERLOADED, errors, STEP_UP_REASON, UNAUTHORIZED_REASON
} from '../../schemas/common.js'
import {
  AnyCodeBody, CodeBody, EnrollBody, Enrolment, MfaStatus, MfaVerifyBody, RecoveryCodesReply
} from '../../schemas/mfa.js'
import { Message } from '../../schemas/sessions.js'

const TAGS = ['two-factor']
const UNAUTHORIZED = { 401: UNAUTHORIZED_REASON }
const STEP_UP = { 403: STEP_UP_REASON }
const THROTTLED = {
  429: 'Too many requests (code RATE_LIMITED), or too many wrong passwords or codes for this account ' +
    '(code TOO_MANY_ATTEMPTS); retry after `Retry-After` seconds.'
}

interface Options {
  /** How a login's answer reaches the client: the refresh token in the body, or in a cookie for pages. */
  deliver: (reply: FastifyReply, result: AuthResult, cookie: boolean | undefined) => Omit<AuthResult, 'refreshToken'>
}

/** The second factor: enrolling an authenticator app, recovery codes, and a login's second step. */
const mfaRoutes: FastifyPluginAsyncTypebox<Options> = async function mfaRoutes (fastify, { deliver }) {
  const { mfa, accounts } = fastify
  const guard = [fastify.authenticate]
  const stepUp = [fastify.authenticate, fastify.requireSecondFactor]

  fastify.get('/mfa', {
    preHandler: guard,
    schema: {
      operationId: 'mfaStatus',
      summary: 'Your second factors',
      tags: TAGS,
      security: BEARER_SECURITY,
      response: { 200: MfaStatus, ...errors({ ...UNAUTHORIZED, ...COMMON_ERRORS }) }
    }
  }, async function status (request) {
    return await mfa.status(request.actor.userId)
  })

  fastify.post('/mfa/totp/enroll', {
    config: { limit: 'password' },
    preHandler: guard,
    schema: {
      operationId: 'mfaEnroll',
      summary: 'Start turning on two-factor',
      description: 'Checks your password and returns a new authenticator secret, with its QR code. Two-factor is ' +
        'on once its first code is confirmed (`POST /auth/mfa/totp/confirm`); enrolling again before that ' +
        'replaces the secret.',
      tags: TAGS,
      security: BEARER_SECURITY,
      body: EnrollBody,
      response: {
        200: Enrolment,
        ...errors({
          ...BODY_ERRORS,
          401: `${UNAUTHORIZED_REASON} Or the password is wrong (code INVALID_CREDENTIALS).`,
          409: 'Two-factor is already on (code MFA_CONFLICT).',
          ...COMMON_ERRORS,
          ...THROTTLED,
          ...OVERLOADED
        })
      }
    }
  }, async function enroll (request) {
    return await mfa.enroll(request.actor, request.body.password, request.client)
  })

  fastify.post('/mfa/totp/confirm', {
    config: { limit: 'password' },
    preHandler: guard,
    schema: {
      operationId: 'mfaConfirm',
      summary: 'Turn on two-factor',
      description: 'Confirms the new authenticator with its current code: two-factor is on, your other sessions ' +
        'end (they were signed in with one factor), a notice goes to your address, and ten recovery codes come ' +
        'back, shown this once. This session\'s tokens show the second factor from its next refresh.',
      tags: TAGS,
      security: BEARER_SECURITY,
      body: CodeBody,
      response: {
        200: RecoveryCodesReply,
        ...errors({
          ...BODY_ERRORS,
          400: `${BODY_ERRORS[400]} Or the code is wrong (code INVALID_CODE).`,
          401: UNAUTHORIZED_REASON,
          409: 'No authenticator is waiting to be confirmed, or two-factor is already on (code MFA_CONFLICT).',
          ...COMMON_ERRORS
        })
      }
    }
  }, async function confirm (request) {
    return { recoveryCodes: await mfa.confirm(request.actor, request.body.code, request.client) }
  })

  fastify.post('/mfa/recovery-codes', {
    config: { limit: 'password' },
    preHandler: stepUp,
    schema: {
      operationId: 'mfaRenewRecoveryCodes',
      summary: 'New recovery codes',
      description: 'Ten new recovery codes for a current code of your authenticator app; the old ones stop working.',
      tags: TAGS,
      security: BEARER_SECURITY,
      body: CodeBody,
      response: {
        200: RecoveryCodesReply,
        ...errors({
          ...BODY_ERRORS,
          400: `${BODY_ERRORS[400]} Or the code is wrong or already used (code INVALID_CODE).`,
          401: UNAUTHORIZED_REASON,
          ...STEP_UP,
          409: 'Two-factor is off (code MFA_CONFLICT).',
          ...COMMON_ERRORS,
          ...THROTTLED
        })
      }
    }
  }, async function renewRecoveryCodes (request) {
    return { recoveryCodes: await mfa.renewRecoveryCodes(request.actor, request.body.code, request.client) }
  })

  fastify.delete('/mfa/totp', {
    config: { limit: 'password' },
    preHandler: stepUp,
    schema: {
      operationId: 'mfaDisable',
      summary: 'Turn off two-factor',
      description: 'With a code of your authenticator app or a recovery code: the authenticator and the recovery ' +
        'codes are deleted, and a notice goes to your address.',
      tags: TAGS,
      security: BEARER_SECURITY,
      body: AnyCodeBody,
      response: {
        200: Message('Two-factor is off.'),
        ...errors({
          ...BODY_ERRORS,
          400: `${BODY_ERRORS[400]} Or the code is wrong or already used (code INVALID_CODE).`,
          401: UNAUTHORIZED_REASON,
          ...STEP_UP,
          409: 'Two-factor is already off (code MFA_CONFLICT).',
          ...COMMON_ERRORS,
          ...THROTTLED
        })
      }
    }
  }, async function disable (request) {
    await mfa.disable(request.actor, request.body.code, request.client)
    return { message: 'Two-factor sign-in is off' }
  })

  fastify.post('/mfa/verify', {
    config: { limit: 'login' },
    schema: {
      operationId: 'mfaVerify',
      summary: 'Log in: the second factor',
      description: 'The second step of a login that answered `mfaRequired`: the `mfaToken` with a code of the ' +
        'authenticator app or a recovery code. Answers as a login does. A code is good once; each wrong code ' +
        'counts against the account like a failed login, and the `mfaToken` ends after five tries.',
      tags: ['auth'],
      body: MfaVerifyBody,
      response: {
        200: LoginReply,
        ...errors({
          ...BODY_ERRORS,
          401: 'The code is wrong or already used (code INVALID_CODE), or the `mfaToken` is unknown, expired, ' +
            'spent or out of tries, or the password changed meanwhile (code INVALID_MFA_TOKEN): log in again.',
          ...COMMON_ERRORS,
          429: 'Too many requests from this client (code RATE_LIMITED), or too many failed logins or codes for ' +
            'this account (code TOO_MANY_ATTEMPTS); retry after `Retry-After` seconds.'
        })
      }
    }
  }, async function verify (request, reply) {
    const { mfaToken, cookie, ...proof } = request.body
    return deliver(reply, await accounts.loginWithCode(mfaToken, proof, request.client), cookie)
  })
}

export default mfaRoutes
