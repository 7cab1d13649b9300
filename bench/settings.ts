/** The run's settings: from the environment where a run may change them, fixed otherwise. */
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const COST = 10
export const PASSWORD = 'correct horse battery staple'
export const DURATION = Number(process.env.BENCH_DURATION ?? 8)
/** Start-up is the median of this many starts. */
export const STARTS = 5
export const WORKERS = availableParallelism()
export const POSTGRES = process.env.BENCH_DATABASE_URL
export const ENGINE = POSTGRES === undefined ? 'SQLite' : 'PostgreSQL'
