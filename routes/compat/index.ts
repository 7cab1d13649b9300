import type { FastifyPluginAsync } from 'fastify'
import type { CompatProfile } from '../../src/config.js'
import flask from './flask.js'
import insighted from './insighted.js'
import nestjs from './nestjs.js'
import simplejwt from './simplejwt.js'
import spring from './spring.js'

/**
 * The older APIs' contracts, one plugin each, mounted when `COMPAT_PROFILE` names one: thin adapters over
 * the service's own use-cases, so sessions, limits, throttles, the audit trail and revocation are the same.
 */
const compatRoutes: Record<CompatProfile, FastifyPluginAsync> = {
  simplejwt,
  flask,
  insighted,
  spring,
  nestjs
}

export default compatRoutes
