import fp from 'fastify-plugin'
import { PasswordBlocklist } from '../../src/passwords/blocklist.js'
import { PwnedPasswords } from '../../src/passwords/breach-check.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwordBlocklist: PasswordBlocklist
  }
}

/** The checks of a new password: the shipped list, the account's details, and, if configured, the breach API. */
export default fp(async function passwordBlocklist (fastify) {
  const { mfa, passwords } = fastify.config
  fastify.decorate('passwordBlocklist', new PasswordBlocklist({
    serviceName: mfa.issuer,
    breachCheck: passwords.breachCheck === 'hibp'
      ? new PwnedPasswords({ url: passwords.breachCheckUrl, log: fastify.log })
      : undefined
  }))
}, { name: 'password-blocklist', dependencies: ['config'] })
