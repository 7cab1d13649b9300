import fp from 'fastify-plugin'
import { Challenges } from '../../src/passkeys/ceremony.js'
import { Passkeys } from '../../src/passkeys/passkeys.js'
import { PasskeySignIn } from '../../src/passkeys/sign-in.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** A signed-in user's passkeys. */
    passkeys: Passkeys
    /** Signing in with a passkey. */
    passkeySignIn: PasskeySignIn
  }
}

/** Passkeys: added by signed-in users, and signing them in without a password. */
export default fp(async function passkeys (fastify) {
  const { config, store, sessions, events, accessTokens, profile, mail } = fastify
  if (config.passkeys.rpId === undefined) {
    fastify.log.warn(
      { publicUrl: config.publicUrl },
      'passkeys are off: PUBLIC_URL names an IP address; set WEBAUTHN_RP_ID (and PUBLIC_URL) to the service\'s domain'
    )
  }
  const challenges = new Challenges(store)
  fastify.decorate('passkeys', new Passkeys({
    store,
    sessions,
    events,
    config: config.passkeys,
    mail,
    accountUrl: `${config.publicUrl}/account`,
    checkPassword: (user, password, actor, client) => profile.checkPassword(user, password, actor, client)
  }, challenges))
  fastify.decorate('passkeySignIn', new PasskeySignIn({
    store,
    sessions,
    events,
    accessTokens,
    config: config.passkeys,
    requireVerifiedEmail: config.email.verification === 'required'
  }, challenges))
}, { name: 'passkeys', dependencies: ['config', 'db', 'sessions', 'audit', 'access-tokens', 'profile', 'mail'] })
