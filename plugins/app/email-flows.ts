import fp from 'fastify-plugin'
import { storedSecret } from '../../src/db/settings.js'
import { EmailCodes } from '../../src/email/codes.js'
import { EmailChange } from '../../src/email/email-change.js'
import { EmailFlows } from '../../src/email/flows.js'
import { MemorySignupCapacity, RedisSignupCapacity } from '../../src/limits/signup-capacity.js'

declare module 'fastify' {
  interface FastifyInstance {
    emailFlows: EmailFlows
    emailChange: EmailChange
  }
}

/** Verifying addresses and resetting passwords, by codes and links sent through the outbox. */
export default fp(async function emailFlows (fastify) {
  const { config, store, redis } = fastify
  const limit = config.mail.capacity
  // MAIL_CAPACITY: messages per window for the whole service, kept like the signup cap.
  const capacity = !config.rateLimit.enabled
    ? undefined
    : redis === undefined
      ? new MemorySignupCapacity(limit)
      : new RedisSignupCapacity(redis, limit, config.redisPrefix, 'mail-capacity')
  const codes = new EmailCodes(store, await storedSecret(store, 'email_code_key'))
  const flows = new EmailFlows({
    store,
    users: fastify.users,
    sessions: fastify.sessions,
    passwords: fastify.passwords,
    blocklist: fastify.passwordBlocklist,
    codes,
    events: fastify.events,
    throttle: fastify.loginThrottle,
    mail: fastify.mail,
    capacity,
    log: fastify.log,
    publicUrl: config.publicUrl,
    codeTtl: config.email.codeTtl,
    verificationTtl: config.email.verificationTtl,
    verifyAtSignup: config.email.verification !== 'off'
  })
  fastify.decorate('emailFlows', flows)
  fastify.decorate('emailChange', new EmailChange({
    store,
    users: fastify.users,
    passwords: fastify.passwords,
    codes,
    flows,
    events: fastify.events,
    throttle: fastify.loginThrottle,
    mail: fastify.mail,
    codeTtl: config.email.codeTtl
  }))
  // What the request endpoints began is written to the outbox before the mail sender and the database close;
  // at preClose, and again at onClose for requests that were still being answered then.
  fastify.addHook('preClose', () => flows.settled())
  fastify.addHook('onClose', () => flows.settled())
}, {
  name: 'email-flows',
  dependencies: [
    'config', 'db', 'redis', 'users', 'sessions', 'passwords', 'password-blocklist', 'audit', 'login-throttle', 'mail'
  ]
})
