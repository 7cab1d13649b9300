/**
 * `npm run bench`: the service's speed as ratios measured in one run, so the figures hold on any
 * machine. It builds the service, starts it as its own processes on loopback with temporary
 * databases (two side by side: one with 1,000 users, one with 100,000), seeds them through the
 * service's own app, and loads them with autocannon from a process of its own (bench/loader.js),
 * which does nothing else, so the run's seeding cannot slow the client. In the same run it
 * measures the floor (a bare Fastify GET route and POST route, bench/bare.js, in turns with the
 * token checks of both services) and the single-core bcryptjs compare rate.
 * Prints one table and writes bench/results.json. Not part of `npm test`: timings are noisy.
 *
 * With BENCH_DATABASE_URL=postgres://… the service runs on PostgreSQL instead, on new databases
 * it creates on that server and drops at the end, and the table goes to bench/results.postgres.json;
 * its token checks are also measured beside the same checks on SQLite, as a ratio.
 */
import { execFileSync } from 'node:child_process'
import { cpus } from 'node:os'
import { Compares } from './compares.js'
import { type NewDatabase, sqliteDatabase, withDatabases } from './databases.js'
import { type Loader, startLoader } from './load.js'
import { failedLogins, logins } from './logins.js'
import { startBare, stop, wasInterrupted } from './processes.js'
import { record, writeReport } from './report.js'
import { engineComparison, tokenChecks } from './rounds.js'
import { measureStartup, recordPeakRss, seeded } from './services.js'
import { DURATION, ENGINE, ROOT, WORKERS } from './settings.js'
import { refreshes, registrations } from './writes.js'

async function run (database: NewDatabase, loader: Loader): Promise<void> {
  const machine = `${WORKERS} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`
  console.error(`Machine: ${machine}; ${DURATION} s per load; database: ${ENGINE}.`)
  const compares = new Compares()
  compares.recordAtStart()
  // The floor, kept running (idle) beside the services, for the token checks to take turns with.
  const bare = await startBare()
  await measureStartup(database)
  // Side by side, so that the scale figures compare loads run in the same rounds, not minutes apart.
  const small = await seeded(database, '1,000 users', 1000, compares.reference)
  const large = await seeded(database, '100,000 users', 100_000, compares.reference)
  const meScale = await tokenChecks(loader, bare.base, [small, large])
  // On PostgreSQL, the token checks beside the same ones on SQLite, in the same rounds.
  const onSqlite = ENGINE === 'PostgreSQL' ? await seeded(sqliteDatabase, '1,000 users on SQLite', 1000, compares.reference) : undefined
  if (onSqlite !== undefined) {
    await engineComparison(loader, bare.base, small, onSqlite)
    await stop(onSqlite.child)
  }
  const loginsSmall = await logins(loader, compares, small)
  const loginsLarge = await logins(loader, compares, large)
  recordScale(meScale, loginsLarge / loginsSmall)
  // The rest runs on the 100,000-user service, the larger of the two databases.
  await refreshes(loader, large)
  await registrations(loader, compares, large)
  compares.recordBeside()
  await failedLogins(large)
  recordPeakRss([small, large])
  for (const child of [small.child, large.child, bare.child, loader.child]) await stop(child)
  writeReport()
}

/** Scale: the token checks' rounds side by side, and the two login loads one after the other. */
function recordScale (me: number, logins: number): void {
  for (const [name, value] of [
    ['GET /auth/me at 100,000 users ÷ at 1,000, in the same rounds', me],
    ['logins/s at 100,000 users ÷ at 1,000', logins]
  ] as const) record({ name, value, unit: '', ratio: { value, of: '', target: '≥ 0.9' } })
}

async function main (): Promise<void> {
  const loader = startLoader()
  console.error('Building…')
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' })
  await withDatabases(async database => await run(database, loader))
}

try {
  await main()
} catch (error) {
  // A signal that also reached a child the run was waiting for synchronously (the build, `sync`)
  // failed that step before the signal's handler could run: it runs first.
  await new Promise(resolve => setTimeout(resolve, 100))
  if (!wasInterrupted()) throw error
  // Interrupted: the signal's exit code is set; the error is where the run stopped.
  console.error(`stopped at: ${error instanceof Error ? error.message : String(error)}`)
}
