import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  BEARER_SECURITY, BODY_ERRORS, COMMON_ERRORS, errors, OVERLOADED, ref, STEP_UP_REASON, TOO_COMMON_REASON,
  UNAUTHORIZED_REASON
} from '../../schemas/common.js'
import {
  Accepted, ACCEPTED_MESSAGE, CHANGE_REQUESTED_MESSAGE, ChangeRequested, EmailChangeBody, EmailChangeConfirmBody, EmailRequestBody,
  ResetPasswordBody, type VerifyEmailBody, VerifyEmailBody as VerifyBody
} from '../../schemas/email.js'
import { Message } from '../../schemas/sessions.js'
import { User } from '../../schemas/user.js'

const INVALID_CODE = 'The body does not match the schema (see `details`), or the code or link is invalid, expired, ' +
  'already used, or was tried five times wrong (code INVALID_CODE: one answer for all of these).'
const LIMITED = 'Too many requests from this client (code RATE_LIMITED), or too many wrong codes for this address ' +
  '(code TOO_MANY_ATTEMPTS); retry after `Retry-After` seconds.'

/** `{ email, code }` or `{ token }`, as the flows take them. */
function proof (body: VerifyEmailBody) {
  return body.token !== undefined
    ? { token: body.token }
    : { email: body.email as string, code: body.code as string }
}

/** Verifying an address, resetting a forgotten password, and changing one's address. */
const emailRoutes: FastifyPluginAsyncTypebox = async function emailRoutes (fastify) {
  const { emailFlows, emailChange, config } = fastify

  fastify.post('/email/verify', {
    config: { limit: 'email' },
    schema: {
      operationId: 'verifyEmail',
      summary: 'Verify your email address',
      description: 'With the code of the verification message and the address, or the token of its link. ' +
        'A code dies after five wrong tries.',
      tags: ['email'],
      body: VerifyBody,
      response: {
        200: ref(User, { description: 'The address is verified: the user, with `emailVerified: true`.' }),
        ...errors({ ...BODY_ERRORS, 400: INVALID_CODE, ...COMMON_ERRORS, 429: LIMITED })
      }
    }
  }, async function verify (request) {
    return await emailFlows.verify(proof(request.body), request.client)
  })

  const accepted = (operationId: string, summary: string, description: string) => ({
    config: { limit: 'email' as const },
    schema: {
      operationId,
      summary,
      description: `${description} Answers 202 at once, the same whether or not the address is an account's; ` +
        'a second request within a minute sends nothing more.',
      tags: ['email'],
      body: EmailRequestBody,
      response: { 202: Accepted, ...errors({ ...BODY_ERRORS, ...COMMON_ERRORS }) }
    }
  })

  fastify.post('/email/verify/resend', accepted(
    'resendVerification', 'Send the verification message again', 'A new code and link for an address not yet verified.'
  ), async function resend (request, reply) {
    emailFlows.requestVerification(request.body.email, request.client)
    return reply.code(202).send({ message: ACCEPTED_MESSAGE })
  })

  fastify.post('/password/forgot', accepted(
    'forgotPassword', 'Forgot your password', 'Sends a code and a link to set a new password.'
  ), async function forgot (request, reply) {
    emailFlows.requestReset(request.body.email, request.client)
    return reply.code(202).send({ message: ACCEPTED_MESSAGE })
  })

  fastify.post('/password/reset', {
    config: { limit: 'email' },
    schema: {
      operationId: 'resetPassword',
      summary: 'Set a new password with a reset code',
      description: 'With the code of the reset message and the address, or the token of its link, and the new ' +
        'password. The address is then verified too, every session of the account ends, and a notice goes to ' +
        'the address. Log in with the new password afterwards.',
      tags: ['email'],
      body: ResetPasswordBody(config.passwordMinLength),
      response: {
        200: Message('The password is changed; every session has ended.'),
        ...errors({
          ...BODY_ERRORS, 400: `${INVALID_CODE} ${TOO_COMMON_REASON}`, ...COMMON_ERRORS, 429: LIMITED, ...OVERLOADED
        })
      }
    }
  }, async function reset (request) {
    const { newPassword, confirmNewPassword } = request.body
    await emailFlows.reset(proof(request.body), newPassword, confirmNewPassword, request.client)
    return { message: 'Password changed; log in with the new one' }
  })

  fastify.post('/email/change', {
    config: { limit: 'email' },
    preHandler: [fastify.authenticate, fastify.requireSecondFactor],
    schema: {
      operationId: 'changeEmail',
      summary: 'Change your email address',
      description: 'Checks your password and sends a code and a link to the new address; confirm with either. ' +
        'Until then you keep, and log in with, your current address.',
      tags: ['email'],
      security: BEARER_SECURITY,
      body: EmailChangeBody,
      response: {
        202: ChangeRequested,
        ...errors({
          ...BODY_ERRORS,
          400: 'The body does not match the schema, or the new address is already yours.',
          401: `${UNAUTHORIZED_REASON} Or the password is wrong (code INVALID_CREDENTIALS).`,
          403: STEP_UP_REASON,
          409: 'The address is another account\'s (code EMAIL_TAKEN), as signup would say too.',
          ...COMMON_ERRORS,
          429: LIMITED,
          ...OVERLOADED
        })
      }
    }
  }, async function changeEmail (request, reply) {
    await emailChange.request(request.actor, request.body, request.client)
    return reply.code(202).send({ message: CHANGE_REQUESTED_MESSAGE })
  })

  fastify.post('/email/change/confirm', {
    config: { limit: 'email' },
    preHandler: [fastify.authenticate],
    schema: {
      operationId: 'confirmEmailChange',
      summary: 'Confirm your new email address',
      description: 'With the code, or the link\'s token, of the message sent to the new address: the account ' +
        'moves to it, verified, and the old address gets a notice.',
      tags: ['email'],
      security: BEARER_SECURITY,
      body: EmailChangeConfirmBody,
      response: {
        200: ref(User, { description: 'The user, on the new address.' }),
        ...errors({
          ...BODY_ERRORS,
          400: INVALID_CODE,
          401: UNAUTHORIZED_REASON,
          409: 'The address became another account\'s meanwhile (code EMAIL_TAKEN).',
          ...COMMON_ERRORS,
          429: LIMITED
        })
      }
    }
  }, async function confirmEmailChange (request) {
    const { code, token } = request.body
    return await emailChange.confirm(request.actor, token !== undefined ? { token } : { code: code as string },
      request.client)
  })
}

export default emailRoutes
