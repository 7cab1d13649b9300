/**
 * The token checks of both services and their floors, in rounds of 1 s each (two for each load,
 * twelve in all), after a second's warm-up of each: rates are the rounds' medians, ratios the
 * medians of each round's ratio, p99s over all the rounds' answers. Taking turns in short rounds
 * makes a slow spell of this shared machine weigh on both sides of a ratio alike.
 */
import { json, type LoadOptions, type LoadResult, type Loader, okPerSecond } from './load.js'
import { median, record } from './report.js'
import type { Seeded } from './services.js'

type Round = Record<string, LoadResult>

/** Runs the rounds against the floor at `bare` and the two services; returns /auth/me's rate at large ÷ at small. */
export async function tokenChecks (loader: Loader, bare: string, [small, large]: [Seeded, Seeded]): Promise<number> {
  // A body the size of a verification's: an access token is about 330 characters.
  const loads: Record<string, LoadOptions & { base: string }> = {
    bare: { base: bare, path: '/' },
    barePost: { base: bare, path: '/', ...json({ token: 'x'.repeat(330) }) }
  }
  for (const service of [small, large]) {
    loads[`me ${service.users}`] = { base: service.base, path: '/auth/me', headers: service.bearer }
    const verify = json({ token: service.accessToken })
    loads[`verify ${service.users}`] = { base: service.base, path: '/auth/token/verify', ...verify }
  }
  for (const { base, ...options } of Object.values(loads)) await loader.run(base, { ...options, duration: 1 })
  const rounds = await runRounds(loader, loads)

  const rate = (name: string) => median(rounds.map(round => okPerSecond(round[name] as LoadResult)))
  const ratio = (name: string, floor: string) =>
    median(rounds.map(round => okPerSecond(round[name] as LoadResult) / okPerSecond(round[floor] as LoadResult)))
  // The last round's p99 is over every round's answers: each load's rounds share a pool.
  const p99 = (name: string) => (rounds.at(-1)?.[name] as LoadResult).p99
  const ofBare = 'of the bare route'
  record({ name: 'bare Fastify route', value: rate('bare'), unit: 'req/s' })
  record({
    name: 'bare Fastify POST route (a verification\'s body and reply)',
    value: rate('barePost'),
    unit: 'req/s',
    ratio: { value: ratio('barePost', 'bare'), of: ofBare, target: '—' }
  })
  for (const { users, label } of [small, large]) {
    const [me, verify] = [`me ${users}`, `verify ${users}`]
    record({
      name: `GET /auth/me, ${label}`,
      value: rate(me),
      unit: 'req/s',
      ratio: { value: ratio(me, 'bare'), of: ofBare, target: '≥ 0.5' }
    })
    record({ name: `GET /auth/me p99, ${label}`, value: p99(me), unit: 'ms' })
    record({
      name: `POST /auth/token/verify, ${label}`,
      value: rate(verify),
      unit: 'req/s',
      ratio: { value: ratio(verify, 'bare'), of: ofBare, target: '≥ 0.5' }
    })
    const ofPost = ratio(verify, 'barePost')
    record({
      name: `POST /auth/token/verify ÷ the bare POST route, ${label}`,
      value: ofPost,
      unit: '',
      ratio: { value: ofPost, of: 'of the bare POST route', target: '—' }
    })
    record({ name: `POST /auth/token/verify p99, ${label}`, value: p99(verify), unit: 'ms' })
  }
  return ratio(`me ${large.users}`, `me ${small.users}`)
}

/**
 * The same token checks on PostgreSQL and on SQLite (1,000 users each), with the bare route, in rounds taken
 * in turns: what the session cache kept by LISTEN/NOTIFY gives PostgreSQL, as a ratio of the same run.
 */
export async function engineComparison (loader: Loader, bare: string, postgres: Seeded, sqlite: Seeded): Promise<void> {
  const loads: Record<string, LoadOptions & { base: string }> = {
    bare: { base: bare, path: '/' },
    'me postgres': { base: postgres.base, path: '/auth/me', headers: postgres.bearer },
    'me sqlite': { base: sqlite.base, path: '/auth/me', headers: sqlite.bearer }
  }
  for (const { base, ...options } of Object.values(loads)) await loader.run(base, { ...options, duration: 1 })
  const rounds = await runRounds(loader, loads)
  const rate = (name: string) => median(rounds.map(round => okPerSecond(round[name] as LoadResult)))
  const ratio = median(rounds.map(round =>
    okPerSecond(round['me postgres'] as LoadResult) / okPerSecond(round['me sqlite'] as LoadResult)))
  record({ name: 'GET /auth/me on SQLite, 1,000 users, beside PostgreSQL', value: rate('me sqlite'), unit: 'req/s' })
  record({
    name: 'GET /auth/me on PostgreSQL, 1,000 users, beside SQLite',
    value: rate('me postgres'),
    unit: 'req/s',
    ratio: { value: ratio, of: 'of the same checks on SQLite', target: '≥ 0.8' }
  })
}

/**
 * Round pairs start one load later than the pair before, the second of a pair in reverse: over
 * the run, each load comes first as often as the others, and any two come in either order
 * equally often.
 */
async function runRounds (loader: Loader, loads: Record<string, LoadOptions & { base: string }>): Promise<Round[]> {
  const names = Object.keys(loads)
  const rounds: Round[] = []
  for (let round = 0; round < 2 * names.length; round++) {
    const results: Round = {}
    const shift = (round >> 1) % names.length
    const order = [...names.slice(shift), ...names.slice(0, shift)]
    if (round % 2 === 1) order.reverse()
    for (const name of order) {
      const { base, ...options } = loads[name] as LoadOptions & { base: string }
      results[name] = await loader.run(base, { ...options, duration: 1, pool: name })
    }
    rounds.push(results)
  }
  return rounds
}
