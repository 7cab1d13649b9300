import fp from 'fastify-plugin'
import { Passkeys } from '../../src/passkeys/passkeys.js'

declare module 'fastify' {
  interface FastifyInstance {
    passkeys: Passkeys
  }
}

/** Passkeys: added by signed-in users, and signing them in without a password. */
export default fp(async function passkeys (fastify) {
  const { config, store, sessions, events, accessTokens, profile } = fastify
  if (config.passkeys.rpId === undefined) {
    fastify.log.warn(
      { publicUrl: config.publicUrl },
      'passkeys are off: PUBLIC_URL names an IP address; set WEBAUTHN_RP_ID (and PUBLIC_URL) to the service\'s domain'
    )
  }
  fastify.decorate('passkeys', new Passkeys({
    store,
    sessions,
    events,
    accessTokens,
    config: config.passkeys,
    requireVerifiedEmail: config.email.verification === 'required',
    checkPassword: (user, password, actor, client) => profile.checkPassword(user, password, actor, client)
  }))
}, { name: 'passkeys', dependencies: ['config', 'db', 'sessions', 'audit', 'access-tokens', 'profile'] })
