/**
 * `npm run bench`: the service's speed as ratios measured in one run, so the figures hold on any
 * machine. It builds the service, starts it as its own processes on loopback with temporary
 * databases (two side by side: one with 1,000 users, one with 100,000), seeds them, and loads
 * them with autocannon from a process of its own (bench/loader.js), which does nothing else, so
 * the run's seeding cannot slow the client. In the same run it measures the floor (a bare
 * Fastify GET route and POST route, bench/bare.js, in turns with the token checks of both
 * services) and the single-core bcryptjs compare rate.
 * Prints one table and writes bench/results.json. Not part of `npm test`: timings are noisy.
 *
 * With BENCH_DATABASE_URL=postgres://… the service runs on PostgreSQL instead, on new databases
 * it creates on that server and drops at the end, and the table goes to bench/results.postgres.json.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import bcrypt from 'bcryptjs'
import Sqlite from 'better-sqlite3'
import pg from 'pg'
import { isPostgresUrl } from '../src/config.js'
import { openStore } from '../src/db/index.js'
import { Sessions } from '../src/sessions.js'
import { normalizeEmail } from '../src/users.js'
import { paced } from './paced.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const COST = 10
const PASSWORD = 'correct horse battery staple'
const DURATION = Number(process.env.BENCH_DURATION ?? 8)
/** Start-up is the median of this many starts. */
const STARTS = 5
const WORKERS = availableParallelism()
const POSTGRES = process.env.BENCH_DATABASE_URL
if (POSTGRES !== undefined && !isPostgresUrl(POSTGRES)) throw new Error('BENCH_DATABASE_URL must be a postgres:// URL')
const ENGINE = POSTGRES === undefined ? 'SQLite' : 'PostgreSQL'

interface Figure { name: string, value: number, unit: string, parts?: Record<string, number>, ratio?: { value: number, target: string, of: string } }
const figures: Figure[] = []
function record (figure: Figure): void {
  figures.push(figure)
  console.error(`  ${figure.name}: ${[valueText(figure), figure.ratio === undefined ? '' : ratioText(figure.ratio)].filter(Boolean).join(', ')}`)
}

/** A figure's value with its unit and parts; none for a bare ratio, which its ratio column states. */
function valueText ({ value, unit, parts, ratio }: Figure): string {
  if (unit === '' && ratio !== undefined) return ''
  const detail = parts === undefined ? '' : ` (${Object.entries(parts).map(([part, share]) => `${part} ${share.toFixed(2)}`).join(', ')})`
  return `${round(value)} ${unit}${detail}`.trim()
}

/** Whether `value` meets a target written `≥ x`, `≤ x` or `a–b`; undefined for none (`—`). */
function meets (value: number, target: string): boolean | undefined {
  const bound = /^([≥≤]) ([\d.]+)$/.exec(target)
  if (bound !== null) return bound[1] === '≥' ? value >= Number(bound[2]) : value <= Number(bound[2])
  const range = /^([\d.]+)–([\d.]+)$/.exec(target)
  return range === null ? undefined : value >= Number(range[1]) && value <= Number(range[2])
}

/**
 * A ratio, what it is of, and its target with whether it was met. Two decimals, or three where
 * two would round a miss up to the target (0.497 is not 0.50 of a "≥ 0.5" target).
 */
function ratioText ({ value, of, target }: NonNullable<Figure['ratio']>): string {
  const met = meets(value, target)
  const shown = met !== undefined && meets(Number(value.toFixed(2)), target) !== met ? value.toFixed(3) : value.toFixed(2)
  return `${shown} ${of} (${target}${met === undefined ? '' : met ? ', met' : ', missed'})`.replace(/ +\(/, ' (')
}

function round (value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2)
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    }).on('error', reject)
  })
}

/** Waits for `path` to answer 200; throws if `child` exits first (a failed migration, say). */
async function waitForHealth (child: ChildProcess, base: string, path = '/health'): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${base}${path}: the process exited (${child.exitCode ?? child.signalCode}) before answering`)
    try {
      if ((await fetch(base + path)).ok) return
    } catch {}
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** The server's peak resident memory, from the kernel: its high-water mark, threads included. */
function peakRssMb (pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1]) / 1024
}

/** CPU time, in seconds, that each thread of process `pid` has run, from the kernel's scheduler, with its nice value. */
function threadTimes (pid: number): Map<number, { nice: number, seconds: number }> {
  const threads = new Map<number, { nice: number, seconds: number }>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      // The fields after the command name's closing parenthesis start at the 3rd (state); nice is the 19th.
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
      const seconds = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9
      threads.set(Number(tid), { nice, seconds })
    } catch {} // a thread that ended between the listing and the read
  }
  return threads
}

/** The whole machine's CPU time so far, in seconds, from /proc/stat (in 1/100 s ticks): busy, idle, and taken by the host. */
function machineTimes (): { busy: number, idle: number, steal: number } {
  // cpu user nice system idle iowait irq softirq steal: waiting for I/O is idle too.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string)
    .split(/\s+/).slice(1, 9).map(Number) as [number, number, number, number, number, number, number, number]
  return { busy: (user + nice + system + irq + softirq) / 100, idle: (idle + iowait) / 100, steal: steal / 100 }
}

/**
 * Where the machine's cores went over a window: the hashing threads' CPU in cores and in
 * seconds, and the rest by part, in cores, adding up to the machine's cores.
 */
interface CpuUse { hashing: number, hashingSeconds: number, hashingThreads: number, parts: Record<string, number> }

/**
 * Starts measuring the CPU of `service` (its threads told apart: the event loop's thread has the
 * process's id, the hashing threads run at a raised nice value) and of the load generator; the
 * returned function ends the window. Linux only: elsewhere it measures nothing.
 */
function cpuWindow (service: number, loaderPid: number): () => CpuUse | undefined {
  if (!existsSync('/proc/self/schedstat')) return () => undefined
  const sum = (threads: Map<number, { seconds: number }>) => [...threads.values()].reduce((total, { seconds }) => total + seconds, 0)
  const began = { at: performance.now(), service: threadTimes(service), loader: sum(threadTimes(loaderPid)), machine: machineTimes() }
  return () => {
    const seconds = (performance.now() - began.at) / 1000
    const loader = sum(threadTimes(loaderPid)) - began.loader
    let hashingSeconds = 0
    let hashingThreads = 0
    let eventLoop = 0
    let otherThreads = 0
    for (const [tid, { nice, seconds: ran }] of threadTimes(service)) {
      // A thread started during the window ran all its time within it.
      const within = ran - (began.service.get(tid)?.seconds ?? 0)
      if (tid === service) eventLoop += within
      else if (nice > 0) {
        hashingSeconds += within
        hashingThreads++
      } else otherThreads += within
    }
    const machine = machineTimes()
    const busy = machine.busy - began.machine.busy
    const cores = (time: number) => time / seconds
    // The machine's times are counted in hundredths of a second: everything else is good to
    // about ±0.01 core, and may show a hair below zero.
    const rest = busy - hashingSeconds - eventLoop - otherThreads - loader
    return {
      hashing: cores(hashingSeconds),
      hashingSeconds,
      hashingThreads,
      parts: {
        'event loop': cores(eventLoop),
        'the service\'s other threads': cores(otherThreads),
        'load generator': cores(loader),
        'everything else': cores(rest),
        idle: cores(machine.idle - began.machine.idle),
        'taken by the host': cores(machine.steal - began.machine.steal)
      }
    }
  }
}

/** What bench/loader.js reports of a load. */
interface LoadResult { ok: number, non2xx: number, errors: number, duration: number, p99: number }
/** autocannon's options that cross to the loader: plain data only. */
interface LoadOptions {
  path: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  duration?: number
  connections?: number
  /** Each request's own body (see bench/loader.js): a template with `{n}`, or a list taken in turn. */
  each?: { template: string, modulo: number } | { list: string[], fallback: string }
  /** Loads naming the same pool report one p99, over all their answers so far. */
  pool?: string
}

/** The load generator, started once per run (see bench/loader.js). */
function startLoader () {
  const child = spawn(process.execPath, ['bench/loader.js'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const pending = new Map<number, (reply: { result?: LoadResult, used: number, error?: string }) => void>()
  child.on('message', (reply: { id: number, result?: LoadResult, used: number, error?: string }) => pending.get(reply.id)?.(reply))
  // A loader that dies fails the loads it was running, rather than leaving the run waiting forever.
  child.once('exit', code => { for (const fail of pending.values()) fail({ used: 0, error: `the loader exited (${code})` }) })
  let ids = 0
  return {
    child,
    /**
     * Runs a load against `base`; `used` is how many bodies of `each` it took (autocannon prepares
     * a request per connection ahead, so up to `connections` of them may not have been sent).
     */
    async run (base: string, { path, each, pool, ...options }: LoadOptions): Promise<LoadResult & { used: number }> {
      going()
      const id = ++ids
      const reply = await new Promise<{ result?: LoadResult, used: number, error?: string }>(resolve => {
        if (!child.connected) return resolve({ used: 0, error: 'the loader has exited' })
        pending.set(id, resolve)
        child.send({ id, options: { url: base + path, duration: DURATION, connections: 10, ...options }, each, pool }, error => {
          if (error !== null) resolve({ used: 0, error: String(error) })
        })
      })
      pending.delete(id)
      if (reply.result === undefined) throw new Error(`load of ${path} failed: ${reply.error}`)
      return { ...reply.result, used: reply.used }
    }
  }
}
/** Every process the run starts, killed when it ends, however it ends. */
const children = new Set<ChildProcess>()
process.once('exit', () => { for (const child of children) child.kill() })
/**
 * Set by SIGINT or SIGTERM. The run's processes are stopped at once, and the run itself stops at
 * its next step, through main's cleanup, so that its temporary databases are removed (a second
 * signal, of either kind, exits at once, leaving them).
 */
let interrupted = false
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(code)
    interrupted = true
    process.exitCode = code
    console.error(`${signal}: stopping; the temporary databases are removed first (a second signal exits at once)`)
    for (const child of children) child.kill()
  })
}
/** Throws once the run is interrupted: no process starts, and no message goes to one that was stopped. */
function going (): void {
  if (interrupted) throw new Error('interrupted')
}
const loader = startLoader()
children.add(loader.child)
const load = loader.run

/** Successful answers per second: errors and non-2xx answers do not count. */
function okPerSecond (result: LoadResult): number {
  return result.ok / result.duration
}
function json (body: unknown): { method: 'POST', headers: Record<string, string>, body: string } {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
}

async function post (base: string, path: string, body: unknown, token?: string): Promise<{ status: number, body: Record<string, unknown> }> {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body)
  })
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Adds users `from`…`to - 1` straight into the database, all with one precomputed hash of PASSWORD, in batches. */
async function seedUsers (databaseUrl: string, from: number, to: number, passwordHash: string): Promise<void> {
  const store = await openStore(databaseUrl)
  const now = new Date()
  await store.transaction(async tx => {
    for (let start = from; start < to; start += 500) {
      going()
      const batch = []
      for (let i = start; i < Math.min(start + 500, to); i++) {
        const email = normalizeEmail(`user${i}@example.com`)
        batch.push({ id: crypto.randomUUID(), email: email.email, emailKey: email.key, name: `User ${i}`, passwordHash, createdAt: now, updatedAt: now })
      }
      await tx.insert(store.tables.users).values(batch)
    }
  })
  await store.close()
  await settle(databaseUrl)
}

/**
 * After a bulk seed. SQLite: the seed's write-ahead log is copied into the database file and
 * flushed to disk, so that neither the checkpoint nor the kernel's write-back of tens of
 * megabytes runs during the next loads. PostgreSQL: the planner's statistics are refreshed, as
 * autovacuum does within a minute or so in production; without it the first minutes after the
 * seed measure stale plans.
 */
async function settle (databaseUrl: string): Promise<void> {
  if (POSTGRES === undefined) {
    const sqlite = new Sqlite(databaseUrl)
    try {
      sqlite.pragma('busy_timeout = 5000')
      const [checkpoint] = sqlite.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>
      if (checkpoint?.busy !== 0) console.error('    (the seed could not be checkpointed: a reader held the database)')
    } finally {
      sqlite.close()
    }
    execFileSync('sync')
    return
  }
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('ANALYZE')
  } finally {
    await client.end()
  }
}

/** Starts sessions with the service's own code: returns their refresh tokens. */
async function seedSessions (databaseUrl: string, count: number): Promise<string[]> {
  const store = await openStore(databaseUrl)
  const sessions = new Sessions(store, { refreshTokenTtl: 86400, sessionMaxAge: 86400, refreshReuseGrace: 10 }, 'unused: the server holds the key')
  const { users } = store.tables
  const ids = (await store.db.select({ id: users.id }).from(users).limit(1000)).map(row => row.id)
  const tokens = await store.transaction(async tx => {
    const started: string[] = []
    for (let i = 0; i < count; i++) {
      if (i % 1000 === 0) going()
      started.push((await sessions.start(tx, ids[i % ids.length] as string, { ip: '127.0.0.1' })).refreshToken)
    }
    return started
  })
  await store.close()
  await settle(databaseUrl)
  return tokens
}

interface Server { child: ChildProcess, base: string, databaseUrl: string, eventLoop: (message: 'reset' | 'report') => Promise<Record<string, number>> }

async function startService (databaseUrl: string): Promise<Server & { startupMs: number }> {
  const port = await freePort()
  going()
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', './bench/probe.js', 'dist/src/server.js'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, RATE_LIMIT_ENABLED: 'false', BCRYPT_COST: String(COST), NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  const base = `http://127.0.0.1:${port}`
  children.add(child)
  await waitForHealth(child, base)
  const startupMs = performance.now() - started
  const eventLoop = async (message: 'reset' | 'report') => await new Promise<Record<string, number>>((resolve, reject) => {
    going()
    if (!child.connected) return reject(new Error('the service has exited'))
    const exited = () => reject(new Error('the service exited'))
    child.once('exit', exited)
    child.once('message', reply => {
      child.off('exit', exited)
      resolve(reply as Record<string, number>)
    })
    child.send(message, error => {
      if (error !== null) reject(error)
    })
  })
  return { child, base, databaseUrl, eventLoop, startupMs }
}

async function main (): Promise<void> {
  console.error('Building…')
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' })
  const folder = mkdtempSync(join(tmpdir(), 'auth-bench-'))
  const created: string[] = []
  /** A new, empty database: a file in the temporary folder, or a database on the PostgreSQL server. */
  async function database (name: string): Promise<string> {
    going()
    if (POSTGRES === undefined) return join(folder, `${name}.db`)
    const database = `auth_bench_${process.pid}_${name}`
    await adminQuery(`CREATE DATABASE ${database}`)
    created.push(database)
    const url = new URL(POSTGRES)
    url.pathname = `/${database}`
    return url.href
  }
  try {
    await run(database)
  } finally {
    rmSync(folder, { recursive: true, force: true })
    for (const name of created) {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: unknown) => console.error(`    (could not drop ${name}: ${String(error)})`))
    }
  }
}

async function adminQuery (text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

async function run (database: (name: string) => Promise<string>): Promise<void> {
  console.error(`Machine: ${WORKERS} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ${DURATION} s per load; database: ${ENGINE}.`)

  // The single-core rate the hash pool is measured against: compares in this thread, nothing else running.
  const reference = bcrypt.hashSync(PASSWORD, COST)
  function compareRate (milliseconds: number): number {
    let compares = 0
    const began = performance.now()
    while (performance.now() - began < milliseconds) {
      bcrypt.compareSync(PASSWORD, reference)
      compares++
    }
    return compares / ((performance.now() - began) / 1000)
  }
  record({ name: `bcryptjs compare, one core, cost ${COST}, at the start`, value: compareRate(3000), unit: 'compares/s' })
  const besideRates: number[] = []
  /**
   * Runs a load that hashes on every core between two 2-second measurements of the single-core
   * compare rate, and returns its rate as a ratio to cores × their mean: both sides of the ratio
   * are measured within seconds of each other, as a shared machine's speed drifts over minutes.
   */
  async function hashing<T> (work: () => Promise<T>, perSecond: (result: T) => number): Promise<{ result: T, ratio: number, compareRate: number }> {
    const before = compareRate(2000)
    const result = await work()
    const after = compareRate(2000)
    besideRates.push(before, after)
    return { result, ratio: perSecond(result) / (WORKERS * (before + after) / 2), compareRate: (before + after) / 2 }
  }
  const ofCompares = `of ${WORKERS} cores × the single-core compare rate measured before and after`

  // The floor, kept running (idle) beside the service: the token checks take turns with it in
  // short rounds, and each ratio is the median of the rounds', so a slow spell of this shared
  // machine weighs on both sides of a ratio alike.
  const barePort = await freePort()
  going()
  const bare = spawn(process.execPath, ['bench/bare.js'], { cwd: ROOT, env: { ...process.env, PORT: String(barePort) }, stdio: 'inherit' })
  children.add(bare)
  const bareBase = `http://127.0.0.1:${barePort}`
  await waitForHealth(bare, bareBase, '/')
  // A body the size of a verification's: an access token is about 330 characters.
  const verification = { path: '/', ...json({ token: 'x'.repeat(330) }) }

  // Start-up on a fresh database, migrations included: the median of STARTS starts, each on a
  // new database, as one start on a shared machine can take half as long again as the next.
  const starts: number[] = []
  for (let i = 0; i < STARTS; i++) {
    const fresh = await startService(await database(`fresh${i}`))
    await stop(fresh.child)
    starts.push(fresh.startupMs)
  }
  const startup = median(starts)
  record({ name: `start-up to first /health answer, fresh database (median of ${STARTS})`, value: startup, unit: 'ms', ratio: { value: startup / 1000, of: 'of 1 s', target: '≤ 1' } })

  // Two services side by side, one with 1,000 users in its database and one with 100,000, so
  // that the scale figures compare loads run in the same rounds, not minutes apart.
  interface Seeded extends Server { label: string, users: number, bearer: Record<string, string>, accessToken: string }
  async function seeded (label: string, users: number): Promise<Seeded> {
    const databaseUrl = await database(`users${users}`)
    const service = await startService(databaseUrl)
    await seedUsers(databaseUrl, 0, users, reference)
    const signedIn = await post(service.base, '/auth/login', { email: 'user0@example.com', password: PASSWORD })
    if (signedIn.status !== 200) throw new Error(`login failed: ${JSON.stringify(signedIn.body)}`)
    const accessToken = signedIn.body.accessToken as string
    return { ...service, label, users, accessToken, bearer: { authorization: `Bearer ${accessToken}` } }
  }
  const small = await seeded('1,000 users', 1000)
  const large = await seeded('100,000 users', 100_000)

  /**
   * The token checks of both services and their floors, in rounds of 1 s each (two for each load,
   * twelve in all), after a second's warm-up of each: rates are the rounds' medians, ratios the
   * medians of each round's ratio, p99s over all the rounds' answers.
   */
  const loads: Record<string, LoadOptions & { base: string }> = {
    bare: { base: bareBase, path: '/' },
    barePost: { base: bareBase, ...verification }
  }
  for (const service of [small, large]) {
    loads[`me ${service.users}`] = { base: service.base, path: '/auth/me', headers: service.bearer }
    loads[`verify ${service.users}`] = { base: service.base, path: '/auth/token/verify', ...json({ token: service.accessToken }) }
  }
  const rounds: Array<Record<string, LoadResult>> = []
  for (const { base, ...options } of Object.values(loads)) await load(base, { ...options, duration: 1 })
  const names = Object.keys(loads)
  for (let round = 0; round < 2 * names.length; round++) {
    const results: Record<string, LoadResult> = {}
    // Round pairs start one load later than the pair before, the second of a pair in reverse: over
    // the run, each load comes first as often as the others, and any two come in either order
    // equally often.
    const shift = (round >> 1) % names.length
    const order = [...names.slice(shift), ...names.slice(0, shift)]
    if (round % 2 === 1) order.reverse()
    for (const name of order) {
      const { base, ...options } = loads[name] as LoadOptions & { base: string }
      results[name] = await load(base, { ...options, duration: 1, pool: name })
    }
    rounds.push(results)
  }
  const perRound = (name: string) => rounds.map(round => okPerSecond(round[name] as LoadResult))
  const rate = (name: string) => median(perRound(name))
  const ratio = (name: string, floor: string) => median(rounds.map(round => okPerSecond(round[name] as LoadResult) / okPerSecond(round[floor] as LoadResult)))
  // The last round's p99 is over every round's answers: each load's rounds share a pool.
  const p99 = (name: string) => (rounds.at(-1)?.[name] as LoadResult).p99
  record({ name: 'bare Fastify route', value: rate('bare'), unit: 'req/s' })
  record({ name: 'bare Fastify POST route (a verification\'s body and reply)', value: rate('barePost'), unit: 'req/s', ratio: { value: ratio('barePost', 'bare'), of: 'of the bare route', target: '—' } })
  for (const { users, label } of [small, large]) {
    record({ name: `GET /auth/me, ${label}`, value: rate(`me ${users}`), unit: 'req/s', ratio: { value: ratio(`me ${users}`, 'bare'), of: 'of the bare route', target: '≥ 0.5' } })
    record({ name: `GET /auth/me p99, ${label}`, value: p99(`me ${users}`), unit: 'ms' })
    record({ name: `POST /auth/token/verify, ${label}`, value: rate(`verify ${users}`), unit: 'req/s', ratio: { value: ratio(`verify ${users}`, 'bare'), of: 'of the bare route', target: '≥ 0.5' } })
    record({ name: `POST /auth/token/verify ÷ the bare POST route, ${label}`, value: ratio(`verify ${users}`, 'barePost'), unit: '', ratio: { value: ratio(`verify ${users}`, 'barePost'), of: 'of the bare POST route', target: '—' } })
    record({ name: `POST /auth/token/verify p99, ${label}`, value: p99(`verify ${users}`), unit: 'ms' })
  }

  /** Logins of the seeded users in turn, each with its right password: every one hashes once. */
  async function logins (service: Seeded): Promise<number> {
    const login = {
      path: '/auth/login',
      ...json({}),
      connections: 2 * WORKERS,
      each: { template: JSON.stringify({ email: 'user{n}@example.com', password: PASSWORD }), modulo: service.users }
    }
    // The logins' rate, with nothing else sent to the service meanwhile, and where the cores went.
    const { result: { result, cpu }, ratio, compareRate } = await hashing(async () => {
      const cpuUse = cpuWindow(service.child.pid as number, loader.child.pid as number)
      const result = await load(service.base, login)
      return { result, cpu: cpuUse() }
    }, ({ result }) => okPerSecond(result))
    const perSecond = okPerSecond(result)
    record({ name: `POST /auth/login, ${service.label}`, value: perSecond, unit: 'logins/s', ratio: { value: ratio, of: ofCompares, target: '≥ 0.85' } })
    if (result.non2xx > 0 || result.errors > 0) console.error(`    (${result.non2xx} non-2xx answers, ${result.errors} errors)`)
    if (cpu !== undefined && cpu.hashingThreads > 0 && cpu.hashingSeconds > 0) {
      // The logins' ratio is about the product of these two: the share of the cores the hashing
      // threads ran on, and the compares (one per login) they made per second of their CPU time
      // against the single-core rate. The window is the load's, give or take its start and end.
      record({
        name: `CPU of the ${cpu.hashingThreads} hashing threads over those logins, in cores, ${service.label}`,
        value: cpu.hashing,
        unit: 'cores',
        parts: cpu.parts,
        ratio: { value: cpu.hashing / WORKERS, of: `of ${WORKERS} cores`, target: '—' }
      })
      const pace = result.ok / cpu.hashingSeconds / compareRate
      record({ name: `logins per second of the hashing threads' CPU time ÷ the single-core compare rate, ${service.label}`, value: pace, unit: '', ratio: { value: pace, of: '', target: '—' } })
    } else if (cpu !== undefined) {
      console.error('    (no thread of the service ran at a raised nice value: the hashing threads cannot be told apart)')
    }
    // Then /health, sampled while the same logins saturate the hashing threads again: apart, so
    // that the rate above is the logins' alone; the ratio below shows what the sampling changes.
    await service.eventLoop('reset')
    const [sampled, health] = await Promise.all([
      load(service.base, login),
      paced(Number(new URL(service.base).port), '/health', 20, DURATION * 1000)
    ])
    const delay = await service.eventLoop('report')
    if (health.failed > 0) console.error(`    (/health: ${health.failed} answers other than 2xx)`)
    record({ name: `GET /health p99 while logins saturate the pool, ${service.label}`, value: health.p99, unit: 'ms', ratio: { value: health.p99 / 25, of: 'of 25 ms', target: '≤ 1' } })
    record({ name: `event-loop delay p99 over the same window (1 ms sampling), ${service.label}`, value: delay.p99 as number, unit: 'ms' })
    const together = okPerSecond(sampled) / perSecond
    record({ name: `POST /auth/login while /health is sampled ÷ alone, ${service.label}`, value: together, unit: '', ratio: { value: together, of: '', target: '—' } })
    return perSecond
  }
  const loginsSmall = await logins(small)
  const loginsLarge = await logins(large)

  // Scale: the token checks' rounds side by side, and the two login loads one after the other.
  const scale = ratio(`me ${large.users}`, `me ${small.users}`)
  record({ name: 'GET /auth/me at 100,000 users ÷ at 1,000, in the same rounds', value: scale, unit: '', ratio: { value: scale, of: '', target: '≥ 0.9' } })
  record({ name: 'logins/s at 100,000 users ÷ at 1,000', value: loginsLarge / loginsSmall, unit: '', ratio: { value: loginsLarge / loginsSmall, of: '', target: '≥ 0.9' } })

  // The rest runs on the 100,000-user service, the larger of the two databases.
  // Refresh: a write per request, each with its own refresh token.
  const { base } = large
  const refreshTokens = await seedSessions(large.databaseUrl, 60_000)
  const refresh = await load(base, {
    path: '/auth/refresh',
    ...json({}),
    each: { list: refreshTokens.map(refreshToken => JSON.stringify({ refreshToken })), fallback: JSON.stringify({ refreshToken: 'exhausted' }) }
  })
  if (refresh.used > refreshTokens.length) console.error('    (the seeded refresh tokens ran out: raise their number)')
  record({ name: 'POST /auth/refresh', value: okPerSecond(refresh), unit: 'req/s' })

  const { result: register, ratio: registerRatio } = await hashing(async () => await load(base, {
    path: '/auth/register',
    ...json({}),
    connections: 2 * WORKERS,
    each: { template: JSON.stringify({ email: 'new{n}@example.com', password: PASSWORD }), modulo: Number.MAX_SAFE_INTEGER }
  }), okPerSecond)
  record({ name: 'POST /auth/register', value: okPerSecond(register), unit: 'accounts/s', ratio: { value: registerRatio, of: ofCompares, target: '—' } })
  record({ name: `bcryptjs compare, one core, cost ${COST}, before and after the hashing loads (median of ${besideRates.length})`, value: median(besideRates), unit: 'compares/s' })

  // Issue "abuse resistance": an unknown account and a wrong password must not be told apart by time.
  const unknown: number[] = []
  const wrong: number[] = []
  for (let i = 0; i < 30; i++) {
    for (const [times, email] of [[unknown, `nobody${i}@example.com`], [wrong, `user${100 + i}@example.com`]] as const) {
      const began = performance.now()
      const result = await post(base, '/auth/login', { email, password: 'not the password at all' })
      times.push(performance.now() - began)
      if (result.status !== 401) throw new Error(`expected 401, got ${result.status}`)
    }
  }
  record({ name: 'login 401 median, unknown account (30 tries)', value: median(unknown), unit: 'ms' })
  record({ name: 'login 401 median, wrong password (30 tries)', value: median(wrong), unit: 'ms', ratio: { value: median(wrong) / median(unknown), of: 'of the unknown-account median', target: '0.85–1.15' } })

  // Each service's peak: the 100,000-user one also took the refreshes, registrations and timed logins.
  for (const { child, label } of [small, large]) {
    const rss = peakRssMb(child.pid as number)
    record({ name: `server peak RSS, ${label}`, value: rss, unit: 'MB', ratio: { value: rss / 200, of: 'of 200 MB', target: '≤ 1' } })
  }
  await stop(small.child)
  await stop(large.child)
  await stop(bare)
  await stop(loader.child)

  const table = ['| Figure | Value | Ratio (target) |', '|---|---:|---|', ...figures.map(figure => {
    const ratio = figure.ratio === undefined ? '' : ratioText(figure.ratio)
    return `| ${figure.name} | ${valueText(figure)} | ${ratio} |`
  })].join('\n')
  console.log(table)
  const machine = { cores: WORKERS, cpu: cpus()[0]?.model, node: process.version, durationSeconds: DURATION, database: ENGINE }
  const file = POSTGRES === undefined ? 'results.json' : 'results.postgres.json'
  writeFileSync(join(ROOT, 'bench', file), JSON.stringify({ date: new Date().toISOString(), machine, figures }, null, 2) + '\n')
  console.error(`Written: bench/${file}`)
}

try {
  await main()
} catch (error) {
  // A signal that also reached a child the run was waiting for synchronously (the build, `sync`)
  // failed that step before the signal's handler above could run: it runs first.
  await new Promise(resolve => setTimeout(resolve, 100))
  if (!interrupted) throw error
  // Interrupted: the signal's exit code is set; the error is where the run stopped.
  console.error(`stopped at: ${error instanceof Error ? error.message : String(error)}`)
}
