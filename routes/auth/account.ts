import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { PasswordChangeBody, ProfileChangeBody } from '../../schemas/auth.js'
import {
  BEARER_SECURITY, BODY_ERRORS, COMMON_ERRORS, NEW_PASSWORD_BODY_ERRORS, OVERLOADED, errors, ref, STEP_UP_REASON,
  UNAUTHORIZED_REASON
} from '../../schemas/common.js'
import { Message } from '../../schemas/sessions.js'
import { User } from '../../schemas/user.js'

/** The signed-in user's changes to their own account. */
const accountRoutes: FastifyPluginAsyncTypebox = async function accountRoutes (fastify) {
  const { profile, config } = fastify

  fastify.patch('/password', {
    config: { limit: 'password' },
    preHandler: [fastify.authenticate, fastify.requireSecondFactor],
    schema: {
      operationId: 'changePassword',
      summary: 'Change your password',
      description: 'Checks the current password, sets the new one, and ends every other session of yours: ' +
        'devices that knew the old password are signed out. This session stays signed in.',
      tags: ['account'],
      security: BEARER_SECURITY,
      body: PasswordChangeBody(config.passwordMinLength),
      response: {
        200: Message('The password is changed and your other sessions have ended.'),
        ...errors({
          ...NEW_PASSWORD_BODY_ERRORS,
          401: `${UNAUTHORIZED_REASON} Or the current password is wrong (code INVALID_CREDENTIALS).`,
          403: STEP_UP_REASON,
          ...COMMON_ERRORS,
          429: 'Too many requests (code RATE_LIMITED), or too many wrong passwords for this account ' +
            '(code TOO_MANY_ATTEMPTS); retry after `Retry-After` seconds.',
          ...OVERLOADED
        })
      }
    }
  }, async function changePassword (request) {
    await profile.changePassword(request.actor, request.body, request.client)
    return { message: 'Password changed; your other sessions have been ended' }
  })

  fastify.patch('/me', {
    preHandler: [fastify.authenticate],
    // A new username is tried against every taken one: as many tries as signup gets, not the global limit's.
    config: {
      limit: request => (request.body as { username?: unknown }).username === undefined ? undefined : 'signup'
    },
    schema: {
      operationId: 'updateMe',
      summary: 'Update your profile',
      description: 'Changes your `name`, `username` or `metadata`. The email and the role cannot be changed here. ' +
        'A username change counts against the signup limit (`RATE_LIMIT_SIGNUP`), as it tries a name against the taken ones.',
      tags: ['account'],
      security: BEARER_SECURITY,
      body: ProfileChangeBody,
      response: {
        200: ref(User, { description: 'The updated user.' }),
        ...errors({
          ...BODY_ERRORS,
          401: UNAUTHORIZED_REASON,
          409: 'The username is taken (code USERNAME_TAKEN).',
          ...COMMON_ERRORS
        })
      }
    }
  }, async function updateProfile (request) {
    return await profile.update(request.actor, request.body, request.client)
  })
}

export default accountRoutes
