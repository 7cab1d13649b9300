/** The loads that write: refreshes and registrations, on the 100,000-user service. */
import type { Compares } from './compares.js'
import { json, type Loader, okPerSecond } from './load.js'
import { record } from './report.js'
import { seedSessions } from './seed.js'
import type { Seeded } from './services.js'
import { PASSWORD, WORKERS } from './settings.js'

/** A write per request, each with its own refresh token, seeded beforehand. */
export async function refreshes (loader: Loader, { base, databaseUrl }: Seeded): Promise<void> {
  const refreshTokens = await seedSessions(databaseUrl, 60_000)
  const refresh = await loader.run(base, {
    path: '/auth/refresh',
    ...json({}),
    each: {
      list: refreshTokens.map(refreshToken => JSON.stringify({ refreshToken })),
      fallback: JSON.stringify({ refreshToken: 'exhausted' })
    }
  })
  if (refresh.used > refreshTokens.length) console.error('    (the seeded refresh tokens ran out: raise their number)')
  record({ name: 'POST /auth/refresh', value: okPerSecond(refresh), unit: 'req/s' })
}

/** New accounts, each with a new email: every one hashes once. */
export async function registrations (loader: Loader, compares: Compares, { base }: Seeded): Promise<void> {
  const { result, ratio } = await compares.hashing(async () => await loader.run(base, {
    path: '/auth/register',
    ...json({}),
    connections: 2 * WORKERS,
    each: {
      template: JSON.stringify({ email: 'new{n}@example.com', password: PASSWORD }),
      modulo: Number.MAX_SAFE_INTEGER
    }
  }), okPerSecond)
  record({
    name: 'POST /auth/register',
    value: okPerSecond(result),
    unit: 'accounts/s',
    ratio: { value: ratio, of: compares.of, target: '—' }
  })
}
