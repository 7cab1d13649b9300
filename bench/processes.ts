/**
 * The run's child processes: the services under test, the bare Fastify floor, their ports and
 * health, and their end, however the run ends (a signal included).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { COST, ROOT } from './settings.js'

/** Every process the run starts, killed when it ends, however it ends. */
export const children = new Set<ChildProcess>()
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

export function wasInterrupted (): boolean {
  return interrupted
}

/** Throws once the run is interrupted: no process starts, and no message goes to one that was stopped. */
export function going (): void {
  if (interrupted) throw new Error('interrupted')
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
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${base}${path}: the process exited (${child.exitCode ?? child.signalCode}) before answering`)
    }
    try {
      if ((await fetch(base + path)).ok) return
    } catch {}
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

export async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

export interface Server {
  child: ChildProcess
  base: string
  databaseUrl: string
  /** Resets or reports the event loop's delay, measured in the service by bench/probe.js. */
  eventLoop: (message: 'reset' | 'report') => Promise<Record<string, number>>
}

/** Starts the built service on `databaseUrl`, timed from its spawn to its first /health answer. */
export async function startService (databaseUrl: string): Promise<Server & { startupMs: number }> {
  const port = await freePort()
  going()
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', './bench/probe.js', 'dist/src/server.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      RATE_LIMIT_ENABLED: 'false',
      BCRYPT_COST: String(COST),
      NODE_ENV: 'production'
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  const base = `http://127.0.0.1:${port}`
  children.add(child)
  await waitForHealth(child, base)
  const startupMs = performance.now() - started
  const eventLoop = async (message: 'reset' | 'report') => await askProbe(child, message)
  return { child, base, databaseUrl, eventLoop, startupMs }
}

/** Sends `message` to the service's bench/probe.js, and returns its reply. */
async function askProbe (child: ChildProcess, message: 'reset' | 'report'): Promise<Record<string, number>> {
  going()
  return await new Promise((resolve, reject) => {
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
}

/** Starts the floor: a bare Fastify GET and POST route (bench/bare.js). */
export async function startBare (): Promise<{ child: ChildProcess, base: string }> {
  const port = await freePort()
  going()
  const env = { ...process.env, PORT: String(port) }
  const child = spawn(process.execPath, ['bench/bare.js'], { cwd: ROOT, env, stdio: 'inherit' })
  children.add(child)
  const base = `http://127.0.0.1:${port}`
  await waitForHealth(child, base, '/')
  return { child, base }
}
