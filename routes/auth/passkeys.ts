import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { type AuthResult, LoginReply } from '../../schemas/auth.js'
import {
  BEARER_SECURITY, BODY_ERRORS, COMMON_ERRORS, errors, OVERLOADED, STEP_UP_REASON, UNAUTHORIZED_REASON
} from '../../schemas/common.js'
import {
  CreationOptions, LoginOptionsBody, Passkey, PasskeyList, PasskeyLoginBody, PasskeyParams, PASSKEYS_MAX,
  RegisterBody, RegisterOptionsBody, RenameBody, RequestOptions
} from '../../schemas/passkeys.js'
import { Message } from '../../schemas/sessions.js'

const TAGS = ['passkeys']
const UNAVAILABLE = { 503: 'Passkeys are not set up: the service has no domain name (code PASSKEYS_UNAVAILABLE).' }
const NOT_YOURS = { 404: 'No passkey of yours has this id (code NOT_FOUND).' }

interface Options {
  /** How a login's answer reaches the client: the refresh token in the body, or in a cookie for pages. */
  deliver: (reply: FastifyReply, result: AuthResult, cookie: boolean | undefined) => Omit<AuthResult, 'refreshToken'>
}

/** Passkeys: adding one to your account, your list, and signing in with one. */
const passkeyRoutes: FastifyPluginAsyncTypebox<Options> = async function passkeyRoutes (fastify, { deliver }) {
  const { passkeys, passkeySignIn } = fastify
  const stepUp = [fastify.authenticate, fastify.requireSecondFactor]

  fastify.get('/passkeys', {
    preHandler: [fastify.authenticate],
    schema: {
      operationId: 'listPasskeys',
      summary: 'Your passkeys',
      tags: TAGS,
      security: BEARER_SECURITY,
      response: { 200: PasskeyList, ...errors({ 401: UNAUTHORIZED_REASON, ...COMMON_ERRORS }) }
    }
  }, async function list (request) {
    return { passkeys: await passkeys.list(request.actor.userId), limit: PASSKEYS_MAX }
  })

  fastify.post('/passkeys/register/options', {
    config: { limit: 'password' },
    preHandler: stepUp,
    schema: {
      operationId: 'passkeyRegistrationOptions',
      summary: 'Start adding a passkey',
      description: 'The options for `navigator.credentials.create()` (or `startRegistration()` of ' +
        '`@simplewebauthn/browser`), good for one registration within five minutes. Asks for your password ' +
        'again, unless this session signed in with two factors. Your passkeys are listed so that an ' +
        'authenticator never makes a second one for this account.',
      tags: TAGS,
      security: BEARER_SECURITY,
      body: RegisterOptionsBody,
      response: {
        200: CreationOptions,
        ...errors({
          ...BODY_ERRORS,
          400: `${BODY_ERRORS[400]} Or the password is needed (a session signed in with one factor).`,
          401: `${UNAUTHORIZED_REASON} Or the password is wrong (code INVALID_CREDENTIALS).`,
          403: STEP_UP_REASON,
          409: `You hold ${PASSKEYS_MAX} passkeys already (code PASSKEY_LIMIT).`,
          ...COMMON_ERRORS,
          429: 'Too many requests (code RATE_LIMITED), or too many wrong passwords for this account ' +
            '(code TOO_MANY_ATTEMPTS); retry after `Retry-After` seconds.',
          ...OVERLOADED,
          ...UNAVAILABLE
        })
      }
    }
  }, async function registrationOptions (request) {
    return await passkeys.registrationOptions(request.actor, request.user.amr, request.body.password, request.client)
  })

  fastify.post('/passkeys/register', {
    config: { limit: 'password' },
    preHandler: stepUp,
    schema: {
      operationId: 'registerPasskey',
      summary: 'Add a passkey',
      description: 'The authenticator\'s answer to the options of `POST /auth/passkeys/register/options`, with a ' +
        'name of your choice (`Passkey N` without one). From then on, the passkey signs you in without a password.',
      tags: TAGS,
      security: BEARER_SECURITY,
      body: RegisterBody,
      response: {
        201: Passkey,
        ...errors({
          ...BODY_ERRORS,
          400: `${BODY_ERRORS[400]} Or the answer did not verify: its challenge unknown, expired or used, another ` +
            'site\'s, or its signature wrong (code INVALID_PASSKEY).',
          401: UNAUTHORIZED_REASON,
          403: STEP_UP_REASON,
          409: `You hold ${PASSKEYS_MAX} passkeys already (code PASSKEY_LIMIT).`,
          ...COMMON_ERRORS,
          ...UNAVAILABLE
        })
      }
    }
  }, async function register (request, reply) {
    reply.code(201)
    return await passkeys.register(request.actor, request.body, request.client)
  })

  fastify.patch('/passkeys/:id', {
    preHandler: stepUp,
    schema: {
      operationId: 'renamePasskey',
      summary: 'Rename a passkey',
      tags: TAGS,
      security: BEARER_SECURITY,
      params: PasskeyParams,
      body: RenameBody,
      response: {
        200: Passkey,
        ...errors({ ...BODY_ERRORS, 401: UNAUTHORIZED_REASON, 403: STEP_UP_REASON, ...NOT_YOURS, ...COMMON_ERRORS })
      }
    }
  }, async function rename (request) {
    return await passkeys.rename(request.actor.userId, request.params.id, request.body.name)
  })

  fastify.delete('/passkeys/:id', {
    preHandler: stepUp,
    schema: {
      operationId: 'deletePasskey',
      summary: 'Delete a passkey',
      description: 'It signs no one in from then on. Your password (and two-factor, if on) still do.',
      tags: TAGS,
      security: BEARER_SECURITY,
      params: PasskeyParams,
      response: {
        200: Message('The passkey is deleted.'),
        ...errors({ 400: 'The id is not a UUID.', 401: UNAUTHORIZED_REASON, 403: STEP_UP_REASON, ...NOT_YOURS, ...COMMON_ERRORS })
      }
    }
  }, async function remove (request) {
    await passkeys.remove(request.actor, request.params.id, request.client)
    return { message: 'Passkey deleted' }
  })

  fastify.post('/passkeys/login/options', {
    config: { limit: 'passkey' },
    schema: {
      operationId: 'passkeyLoginOptions',
      summary: 'Log in with a passkey: the options',
      description: 'The options for `navigator.credentials.get()` (or `startAuthentication()` of ' +
        '`@simplewebauthn/browser`), good for one sign-in within five minutes. No account is named: the ' +
        'authenticator offers the passkeys it holds for this site.',
      tags: ['auth'],
      body: LoginOptionsBody,
      response: {
        200: RequestOptions,
        ...errors({
          ...BODY_ERRORS, ...COMMON_ERRORS, 429: 'Too many requests (code RATE_LIMITED).', ...UNAVAILABLE
        })
      }
    }
  }, async function loginOptions () {
    return await passkeySignIn.options()
  })

  fastify.post('/passkeys/login', {
    config: { limit: 'login' },
    schema: {
      operationId: 'passkeyLogin',
      summary: 'Log in with a passkey',
      description: 'The authenticator\'s answer to the options of `POST /auth/passkeys/login/options`. Answers ' +
        'as a login does; the session\'s `amr` is `hwk` (a passkey bound to its device) or `swk` (synced), with ' +
        '`user` and `mfa` when the authenticator verified you (a PIN or biometrics): that counts as two factors, ' +
        'so no code is asked. Accounts with two-factor on need a passkey that verifies its user.',
      tags: ['auth'],
      body: PasskeyLoginBody,
      response: {
        200: LoginReply,
        ...errors({
          ...BODY_ERRORS,
          401: 'The passkey did not verify: unknown or deleted, its challenge unknown, expired or used, another ' +
            'site\'s, a signature or counter that is wrong, or the account disabled (code INVALID_PASSKEY).',
          403: 'EMAIL_VERIFICATION is required and the address is not verified yet (code EMAIL_NOT_VERIFIED).',
          ...COMMON_ERRORS,
          429: 'Too many requests (code RATE_LIMITED).',
          ...UNAVAILABLE
        })
      }
    }
  }, async function login (request, reply) {
    return deliver(reply, await passkeySignIn.login(request.body.response, request.client), request.body.cookie)
  })
}

export default passkeyRoutes
