import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  aliasSummary, ALIASES_TAG, BEARER_SECURITY, BODY_ERRORS, COMMON_ERRORS, errors, UNAUTHORIZED_REASON
} from '../../schemas/common.js'
import { LogoutBody, Message, RefreshBody, SessionList, SessionParams, TokenPair } from '../../schemas/sessions.js'

const UNAUTHORIZED = { 401: UNAUTHORIZED_REASON }
const CROSS_SITE = {
  403: 'The refresh cookie came with a request whose `Origin` is not this service\'s (code CROSS_SITE_REQUEST).'
}

/** Refreshing, logging out, and the user's own list of sessions. */
const sessionRoutes: FastifyPluginAsyncTypebox = async function sessionRoutes (fastify) {
  const { sessionActions, sessions, config } = fastify

  const refreshSchema = {
    description: 'Exchanges a refresh token for a new access token and a new refresh token; the one sent is spent. ' +
      'Sending the same token again within the grace window (`REFRESH_REUSE_GRACE`), from the client that ' +
      'spent it (the same user agent, from the same /24 or /64 network), returns the same new pair of the ' +
      'session, so two tabs or a retried request stay signed in. From any other client, or after the window, ' +
      'a spent token is taken as stolen: the session ends, and the answer is 401 `REFRESH_TOKEN_REUSED`.',
    body: RefreshBody,
    response: {
      200: TokenPair,
      ...errors({
        ...BODY_ERRORS,
        401: 'The refresh token is unknown, expired, of an ended session (code INVALID_REFRESH_TOKEN), ' +
          'or was reused after the grace window or by another client (code REFRESH_TOKEN_REUSED, ' +
          'and the session is ended); ' +
          'or none was sent (code UNAUTHORIZED).',
        ...CROSS_SITE,
        ...COMMON_ERRORS
      })
    }
  }
  for (const [url, operationId, summary, tag] of [
    ['/refresh', 'refreshTokens', 'Refresh the tokens', 'sessions'],
    ['/token/refresh', 'refreshTokensAlias', aliasSummary('Refresh the tokens', 'POST', `${config.authPrefix}/refresh`),
      ALIASES_TAG]
  ]) {
    fastify.post(url as string, {
      config: { limit: 'refresh' },
      schema: { ...refreshSchema, operationId, summary, tags: [tag as string] }
    }, async function refresh (request, reply) {
      const sent = request.body.refreshToken
      const cookie = sent === undefined ? fastify.refreshCookie(request) : undefined
      if (cookie === undefined) return await sessionActions.refresh(sent, request.client)
      try {
        return fastify.withRefreshCookie(reply, await sessionActions.refresh(cookie, request.client))
      } catch (error) {
        // The cookie's token is dead (spent, expired, its session ended): the browser drops it.
        fastify.clearRefreshCookie(reply)
        throw error
      }
    })
  }

  fastify.post('/logout', {
    // An absent body is an empty one: a Bearer token alone names the session.
    preValidation: async request => { request.body ??= {} },
    schema: {
      operationId: 'logout',
      summary: 'Log out',
      description: 'Ends the session of the Bearer access token, or, when that has expired, of `refreshToken`. ' +
        'Its refresh tokens stop working and its access tokens are refused at once. ' +
        '`all: true` ends every session of the user.',
      tags: ['sessions'],
      security: [...BEARER_SECURITY, {}],
      body: LogoutBody,
      response: {
        200: Message('The session (or every session) has ended.'),
        ...errors({
          ...BODY_ERRORS,
          401: 'Neither a live access token nor a refresh token of a live session was sent.',
          ...CROSS_SITE,
          ...COMMON_ERRORS
        })
      }
    }
  }, async function logout (request, reply) {
    const claims = await fastify.optionalAccessToken(request)
    const cookie = fastify.refreshCookie(request)
    // Signed out in the browser whatever happens next.
    if (cookie !== undefined) fastify.clearRefreshCookie(reply)
    await sessionActions.logout({
      session: claims === undefined ? undefined : { sessionId: claims.sid, userId: claims.sub },
      refreshToken: request.body.refreshToken ?? cookie,
      all: request.body.all
    }, request.client)
    return { message: request.body.all === true ? 'Logged out of every session' : 'Logged out' }
  })

  fastify.get('/sessions', {
    preHandler: [fastify.authenticate],
    schema: {
      operationId: 'listSessions',
      summary: 'Your sessions',
      description: 'Every live session of the signed-in user: one per login on a device.',
      tags: ['sessions'],
      security: BEARER_SECURITY,
      response: { 200: SessionList, ...errors({ ...UNAUTHORIZED, ...COMMON_ERRORS }) }
    }
  }, async function listSessions (request) {
    return { sessions: await sessions.list(request.user.sub, request.user.sid) }
  })

  fastify.delete('/sessions/:id', {
    preHandler: [fastify.authenticate],
    schema: {
      operationId: 'endSession',
      summary: 'End one of your sessions',
      description: 'Signs one of your devices out: its refresh tokens stop working ' +
        'and its access tokens are refused at once.',
      tags: ['sessions'],
      security: BEARER_SECURITY,
      params: SessionParams,
      response: {
        200: Message('The session has ended.'),
        ...errors({
          400: 'The id is not a UUID.',
          ...UNAUTHORIZED,
          404: 'You have no live session with this id (code NOT_FOUND).',
          ...COMMON_ERRORS
        })
      }
    }
  }, async function endSession (request) {
    await sessionActions.end(request.user.sub, request.params.id, request.client)
    return { message: 'Session ended' }
  })
}

export default sessionRoutes
