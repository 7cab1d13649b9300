/** The service and its CLI as processes of their own. */
import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn, type SpawnOptions } from 'node:child_process'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')

/**
 * Starts `node` with `args` as a process of its own, without tap's loader hooks. Under them,
 * Node 20 has crashed while a child loaded an ES module from CommonJS (`loadESMFromCJS`), before
 * any of the service's code ran. Tap's process tracker puts its hook back into `NODE_OPTIONS` on
 * every spawn, whatever environment is given, so `env -u` takes it out as the child starts;
 * `env` then becomes node (same pid). The child loads TypeScript through tsx itself.
 */
export function spawnNode (args: string[], options: SpawnOptions): ChildProcess {
  return spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ...args], options)
}

/** Runs the CLI as its own process, as `npm run cli --` does, with `input` on standard input. */
export function cli (args: string[], env: Record<string, string>, input = ''): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnNode(['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, JWT_SECRET: '', LOG_LEVEL: 'silent', ...env },
      stdio: ['pipe', 'pipe', 'pipe']
    }) as ChildProcessWithoutNullStreams // piped above
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => { stdout += String(chunk) })
    child.stderr.on('data', chunk => { stderr += String(chunk) })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    child.stdin.end(input)
  })
}

/**
 * Starts the server as its own process: the build, as `npm start` runs it, or the sources (for
 * suites that must not race another suite's build). JWT_SECRET and DATABASE_URL come only from `env`.
 */
export function startServer (env: Record<string, string>, entry: 'build' | 'source' = 'build'): ChildProcess {
  const { JWT_SECRET: _secret, DATABASE_URL: _url, ...inherited } = process.env
  const args = entry === 'build' ? ['dist/src/server.js'] : ['--import', 'tsx', 'src/server.ts']
  return spawnNode(args, {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

/** Resolves with the listening URL from the start-up log line; gives up after 30 s. */
export function listening (child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 30 s')), 30_000)
    let output = ''
    child.stderr?.on('data', chunk => { output += String(chunk) })
    child.stdout?.on('data', chunk => {
      output += String(chunk)
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1] as string)
      }
    })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`exited with ${code}: ${output}`)) })
  })
}
