/** Logins: their rate against the hashing cores, where the CPU went, /health meanwhile, and failed logins' timing. */
import type { Compares } from './compares.js'
import { cpuWindow } from './cpu.js'
import { json, type Loader, okPerSecond, post } from './load.js'
import { paced } from './paced.js'
import { median, record } from './report.js'
import type { Seeded } from './services.js'
import { DURATION, PASSWORD, WORKERS } from './settings.js'

type LoginLoad = ReturnType<typeof loginLoad>

/** Logins of the seeded users in turn, each with its right password: every one hashes once. */
function loginLoad (service: Seeded) {
  return {
    path: '/auth/login',
    ...json({}),
    connections: 2 * WORKERS,
    each: { template: JSON.stringify({ email: 'user{n}@example.com', password: PASSWORD }), modulo: service.users }
  }
}

/** The logins' figures on `service`: returns their rate. */
export async function logins (loader: Loader, compares: Compares, service: Seeded): Promise<number> {
  const login = loginLoad(service)
  const perSecond = await loginRate(loader, compares, service, login)
  await healthDuringLogins(loader, service, login, perSecond)
  return perSecond
}

/** The logins' rate, with nothing else sent to the service meanwhile, and where the cores went. */
async function loginRate (loader: Loader, compares: Compares, service: Seeded, login: LoginLoad): Promise<number> {
  const { result: { result, cpu }, ratio, compareRate } = await compares.hashing(async () => {
    const cpuUse = cpuWindow(service.child.pid as number, loader.child.pid as number)
    const result = await loader.run(service.base, login)
    return { result, cpu: cpuUse() }
  }, ({ result }) => okPerSecond(result))
  const perSecond = okPerSecond(result)
  const { label } = service
  record({
    name: `POST /auth/login, ${label}`,
    value: perSecond,
    unit: 'logins/s',
    ratio: { value: ratio, of: compares.of, target: '≥ 0.85' }
  })
  if (result.non2xx > 0 || result.errors > 0) {
    console.error(`    (${result.non2xx} non-2xx answers, ${result.errors} errors)`)
  }
  if (cpu !== undefined && cpu.hashingThreads > 0 && cpu.hashingSeconds > 0) {
    // The logins' ratio is about the product of these two: the share of the cores the hashing
    // threads ran on, and the compares (one per login) they made per second of their CPU time
    // against the single-core rate. The window is the load's, give or take its start and end.
    record({
      name: `CPU of the ${cpu.hashingThreads} hashing threads over those logins, in cores, ${label}`,
      value: cpu.hashing,
      unit: 'cores',
      parts: cpu.parts,
      ratio: { value: cpu.hashing / WORKERS, of: `of ${WORKERS} cores`, target: '—' }
    })
    const pace = result.ok / cpu.hashingSeconds / compareRate
    record({
      name: `logins per second of the hashing threads' CPU time ÷ the single-core compare rate, ${label}`,
      value: pace,
      unit: '',
      ratio: { value: pace, of: '', target: '—' }
    })
  } else if (cpu !== undefined) {
    console.error('    (no thread of the service ran at a raised nice value: the hashing threads cannot be told apart)')
  }
  return perSecond
}

/**
 * /health, sampled while the same logins saturate the hashing threads again: apart from
 * `loginRate`, so that its rate is the logins' alone; the last ratio shows what the sampling changes.
 */
async function healthDuringLogins (loader: Loader, service: Seeded, login: LoginLoad, alone: number): Promise<void> {
  await service.eventLoop('reset')
  const [sampled, health] = await Promise.all([
    loader.run(service.base, login),
    paced(Number(new URL(service.base).port), '/health', 20, DURATION * 1000)
  ])
  const delay = await service.eventLoop('report')
  if (health.failed > 0) console.error(`    (/health: ${health.failed} answers other than 2xx)`)
  const { label } = service
  record({
    name: `GET /health p99 while logins saturate the pool, ${label}`,
    value: health.p99,
    unit: 'ms',
    ratio: { value: health.p99 / 25, of: 'of 25 ms', target: '≤ 1' }
  })
  const name = `event-loop delay p99 over the same window (1 ms sampling), ${label}`
  record({ name, value: delay.p99 as number, unit: 'ms' })
  const together = okPerSecond(sampled) / alone
  record({
    name: `POST /auth/login while /health is sampled ÷ alone, ${label}`,
    value: together,
    unit: '',
    ratio: { value: together, of: '', target: '—' }
  })
}

/** Issue "abuse resistance": an unknown account and a wrong password must not be told apart by time. */
export async function failedLogins ({ base }: Seeded): Promise<void> {
  const unknown: number[] = []
  const wrong: number[] = []
  for (let i = 0; i < 30; i++) {
    const tries = [[unknown, `nobody${i}@example.com`], [wrong, `user${100 + i}@example.com`]] as const
    for (const [times, email] of tries) {
      const began = performance.now()
      const result = await post(base, '/auth/login', { email, password: 'not the password at all' })
      times.push(performance.now() - began)
      if (result.status !== 401) throw new Error(`expected 401, got ${result.status}`)
    }
  }
  record({ name: 'login 401 median, unknown account (30 tries)', value: median(unknown), unit: 'ms' })
  record({
    name: 'login 401 median, wrong password (30 tries)',
    value: median(wrong),
    unit: 'ms',
    ratio: { value: median(wrong) / median(unknown), of: 'of the unknown-account median', target: '0.85–1.15' }
  })
}
