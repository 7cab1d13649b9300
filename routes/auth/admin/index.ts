import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AdminUser, RoleBody, UserList, UserListQuery, UserParams } from '../../../schemas/admin.js'
import { EventList, EventListQuery } from '../../../schemas/events.js'
import {
  ADMIN_SECURITY, BODY_ERRORS, COMMON_ERRORS, errors, ref, UNAUTHORIZED_REASON
} from '../../../schemas/common.js'
import { Message } from '../../../schemas/sessions.js'

const GUARD_ERRORS = {
  401: UNAUTHORIZED_REASON,
  403: 'The signed-in user is not an admin (code FORBIDDEN); the role is read afresh on every request. Or the ' +
    'admin has two-factor on and this session has not proven it (code MFA_REQUIRED).'
}
const NOT_FOUND = { 404: 'No user with this id (code NOT_FOUND).' }
const SELF = {
  409: 'An admin cannot change the role of, disable or delete their own account (code CANNOT_MODIFY_SELF).'
}

/** The admin API at /auth/admin: every route needs a live session of an admin. */
const adminRoutes: FastifyPluginAsyncTypebox = async function adminRoutes (fastify) {
  const { admin } = fastify
  fastify.addHook('preHandler', fastify.authenticate)
  fastify.addHook('preHandler', fastify.requireRole('admin'))
  fastify.addHook('preHandler', fastify.requireSecondFactor)
  const base = { tags: ['admin'], security: ADMIN_SECURITY }

  fastify.get('/users', {
    schema: {
      ...base,
      operationId: 'adminListUsers',
      summary: 'List users',
      description: 'Pages of users, newest first, optionally filtered by part of an email or username.',
      querystring: UserListQuery,
      response: {
        200: UserList,
        ...errors({ 400: 'A query parameter is out of range.', ...GUARD_ERRORS, ...COMMON_ERRORS })
      }
    }
  }, async function listUsers (request) {
    const { page, limit, search } = request.query
    const result = await admin.list({ page, limit, search })
    return { ...result, page, limit }
  })

  fastify.get('/users/:id', {
    schema: {
      ...base,
      operationId: 'adminGetUser',
      summary: 'Get a user',
      params: UserParams,
      response: {
        200: ref(AdminUser, { description: 'The user.' }),
        ...errors({ 400: 'The id is not a UUID.', ...GUARD_ERRORS, ...NOT_FOUND, ...COMMON_ERRORS })
      }
    }
  }, async function getUser (request) {
    return await admin.get(request.params.id)
  })

  fastify.patch('/users/:id/role', {
    schema: {
      ...base,
      operationId: 'adminChangeRole',
      summary: 'Change a user’s role',
      description: 'Also ends every session of the user, so no token carries the old role.',
      params: UserParams,
      body: RoleBody,
      response: {
        200: ref(AdminUser, { description: 'The user, with the new role.' }),
        ...errors({ ...BODY_ERRORS, ...GUARD_ERRORS, ...NOT_FOUND, ...SELF, ...COMMON_ERRORS })
      }
    }
  }, async function changeRole (request) {
    return await admin.setRole(request.actor, request.params.id, request.body.role, request.client)
  })

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    fastify.post(`/users/:id/${action}`, {
      schema: {
        ...base,
        operationId: disabled ? 'adminDisableUser' : 'adminEnableUser',
        summary: disabled ? 'Disable a user' : 'Enable a user',
        description: disabled
          ? 'Ends every session of the user at once; until enabled again they can neither log in ' +
            '(the same 401 as a wrong password) nor refresh.'
          : 'Lets the user log in again.',
        params: UserParams,
        response: {
          200: ref(AdminUser, { description: 'The user.' }),
          ...errors({ 400: 'The id is not a UUID.', ...GUARD_ERRORS, ...NOT_FOUND, ...SELF, ...COMMON_ERRORS })
        }
      }
    }, async function setDisabled (request) {
      return await admin.setDisabled(request.actor, request.params.id, disabled, request.client)
    })
  }

  fastify.get('/events', {
    schema: {
      ...base,
      operationId: 'adminListEvents',
      summary: 'The audit trail',
      description: 'Registrations, logins and failed logins, refreshes, detected refresh-token reuse, logouts, ' +
        'password changes and admin actions, newest first; filter by user or type.',
      querystring: EventListQuery,
      response: {
        200: EventList,
        ...errors({ 400: 'A query parameter is out of range.', ...GUARD_ERRORS, ...COMMON_ERRORS })
      }
    }
  }, async function listEvents (request) {
    const { page, limit, userId, type } = request.query
    const { events, total } = await fastify.events.list({ page, limit, userId, type })
    return { events, page, limit, total }
  })

  fastify.delete('/users/:id', {
    schema: {
      ...base,
      operationId: 'adminDeleteUser',
      summary: 'Delete a user',
      description: 'Deletes the account with its sessions; its tokens stop working at once.',
      params: UserParams,
      response: {
        200: Message('The user is deleted.'),
        ...errors({ 400: 'The id is not a UUID.', ...GUARD_ERRORS, ...NOT_FOUND, ...SELF, ...COMMON_ERRORS })
      }
    }
  }, async function deleteUser (request) {
    await admin.delete(request.actor, request.params.id, request.client)
    return { message: 'User deleted' }
  })

  fastify.delete('/users/:id/mfa', {
    schema: {
      ...base,
      operationId: 'adminResetMfa',
      summary: 'Reset a user’s two-factor sign-in',
      description: 'For a user who lost both their authenticator and their recovery codes: turns two-factor off, ' +
        'deletes the authenticator and the codes, ends the user\'s sessions, and sends them a notice. Make sure ' +
        'first, by other means, that the request comes from the account\'s owner.',
      params: UserParams,
      response: {
        200: Message('Two-factor sign-in is off for the user.'),
        ...errors({
          400: 'The id is not a UUID.',
          ...GUARD_ERRORS,
          ...NOT_FOUND,
          409: 'The user has two-factor off (code MFA_CONFLICT), or is the admin acting (code CANNOT_MODIFY_SELF).',
          ...COMMON_ERRORS
        })
      }
    }
  }, async function resetMfa (request) {
    await admin.resetMfa(request.actor, request.params.id, request.client)
    fastify.mail.wake()
    return { message: 'Two-factor sign-in is off for the user' }
  })
}

export default adminRoutes
