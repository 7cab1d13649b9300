import fp from 'fastify-plugin'
import { Accounts } from '../src/accounts.js'
import { Admin } from '../src/admin.js'
import { storedSecret } from '../src/db/settings.js'
import { Passwords } from '../src/passwords.js'
import { Sessions } from '../src/sessions.js'
import { LoginThrottle } from '../src/throttle.js'
import { Users } from '../src/users.js'

declare module 'fastify' {
  interface FastifyInstance {
    passwords: Passwords
    users: Users
    sessions: Sessions
    accounts: Accounts
    admin: Admin
    loginThrottle: LoginThrottle
  }
}

/** The domain services, built once over the database and the token signer. */
export default fp(async function services (fastify) {
  const { config, db } = fastify
  const passwords = new Passwords(config.bcryptCost)
  const users = new Users(db)
  const sessions = new Sessions(db, config, storedSecret(db, 'refresh_secret'))
  fastify.decorate('passwords', passwords)
  fastify.decorate('users', users)
  fastify.decorate('sessions', sessions)
  fastify.decorate('admin', new Admin(db, sessions))
  const throttle = new LoginThrottle({ maxFailures: config.loginMaxFailures, failureWindow: config.loginFailureWindow })
  fastify.decorate('loginThrottle', throttle)
  fastify.decorate('accounts', new Accounts({
    db,
    users,
    sessions,
    passwords,
    signAccessToken: claims => fastify.jwt.sign(claims),
    accessTokenTtl: config.accessTokenTtl,
    signupRoles: config.signupRoles,
    throttle
  }))
}, { name: 'services', dependencies: ['config', 'db', 'jwt'] })
