/** The services under test: start-up on fresh databases, the two seeded services, and their peak memory. */
import { peakRssMb } from './cpu.js'
import type { NewDatabase } from './databases.js'
import { post } from './load.js'
import { type Server, startService, stop } from './processes.js'
import { median, record } from './report.js'
import { seedUsers } from './seed.js'
import { PASSWORD, STARTS } from './settings.js'

export interface Seeded extends Server {
  label: string
  users: number
  accessToken: string
  /** The headers that send `accessToken`. */
  bearer: Record<string, string>
}

/**
 * Start-up on a fresh database, migrations included: the median of STARTS starts, each on a new
 * database, as one start on a shared machine can take half as long again as the next.
 */
export async function measureStartup (database: NewDatabase): Promise<void> {
  const starts: number[] = []
  for (let i = 0; i < STARTS; i++) {
    const fresh = await startService(await database(`fresh${i}`))
    await stop(fresh.child)
    starts.push(fresh.startupMs)
  }
  const startup = median(starts)
  record({
    name: `start-up to first /health answer, fresh database (median of ${STARTS})`,
    value: startup,
    unit: 'ms',
    ratio: { value: startup / 1000, of: 'of 1 s', target: '≤ 1' }
  })
}

/** A service on a new database seeded with `users` users (password hash `passwordHash`), and user0 signed in. */
export async function seeded (database: NewDatabase, label: string, users: number, passwordHash: string)
  : Promise<Seeded> {
  const databaseUrl = await database(`users${users}`)
  const service = await startService(databaseUrl)
  await seedUsers(databaseUrl, users, passwordHash)
  const signedIn = await post(service.base, '/auth/login', { email: 'user0@example.com', password: PASSWORD })
  if (signedIn.status !== 200) throw new Error(`login failed: ${JSON.stringify(signedIn.body)}`)
  const accessToken = signedIn.body.accessToken as string
  return { ...service, label, users, accessToken, bearer: { authorization: `Bearer ${accessToken}` } }
}

/** Each service's peak memory: the 100,000-user one also took the refreshes, registrations and timed logins. */
export function recordPeakRss (services: Seeded[]): void {
  for (const { child, label } of services) {
    const rss = peakRssMb(child.pid as number)
    const ratio = { value: rss / 200, of: 'of 200 MB', target: '≤ 1' }
    record({ name: `server peak RSS, ${label}`, value: rss, unit: 'MB', ratio })
  }
}
