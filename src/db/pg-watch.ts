/**
 * PostgreSQL's row watch: triggers on users and sessions NOTIFY each changed row (migration
 * row_change_notify), and one connection of each instance LISTENs, so rows kept in memory go the moment any
 * instance commits a change to them. While that connection is down, nothing is kept and every check reads
 * the database; once it listens again, everything kept before is dropped.
 */
import type pg from 'pg'
import type { RowChange, RowWatch } from './store.js'

const CHANNEL = 'auth_row_changed'
/** How the listening connections show in pg_stat_activity. */
export const APPLICATION_NAME = 'auth row watch'
/** The first wait before listening again after the connection broke; doubled up to the second. */
const RETRY_MS = 250
const RETRY_MAX_MS = 5_000

export interface PostgresWatch extends RowWatch {
  /** Resolves once every change committed before the call has reached the listeners; rejects while down. */
  sync: () => Promise<void>
  close: () => Promise<void>
}

/** What the watch tells the operator: it went down (with why), or it listens again. */
export type WatchEvents = (state: 'down' | 'up', error?: Error) => void

export async function watchPostgres (
  Client: typeof pg.Client, url: string, onState: WatchEvents = () => {}
): Promise<PostgresWatch> {
  const listeners: Array<(change: RowChange) => void> = []
  const tell = (change: RowChange) => {
    generation++
    for (const listener of listeners) listener(change)
  }
  let client: pg.Client | undefined
  let generation = 0
  let closed = false
  let retryMs = RETRY_MS
  let retry: NodeJS.Timeout | undefined
  let inFlight: Promise<void> | undefined
  let queued: Promise<void> | undefined

  function down (broken: pg.Client, error?: Error): void {
    if (client !== broken) return
    client = undefined
    broken.removeAllListeners('notification')
    broken.end().catch(() => {})
    // Changes may go unheard from now on: nothing kept can be trusted.
    tell({ table: '*' })
    if (closed) return
    onState('down', error)
    retry = setTimeout(() => { listen().catch(() => {}) }, retryMs).unref()
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
  }

  async function listen (): Promise<void> {
    const candidate = new Client({
      connectionString: url, connectionTimeoutMillis: 5_000, keepAlive: true, application_name: APPLICATION_NAME
    })
    candidate.on('error', error => down(candidate, error))
    candidate.on('end', () => down(candidate))
    candidate.on('notification', message => {
      const [table, id] = (message.payload ?? '').split(':', 2)
      if ((table === 'users' || table === 'sessions') && id !== undefined) tell({ table, id })
      else tell({ table: '*' })
    })
    try {
      await candidate.connect()
      await candidate.query(`LISTEN ${CHANNEL}`)
    } catch (error) {
      candidate.removeAllListeners()
      candidate.on('error', () => {})
      await candidate.end().catch(() => {})
      if (closed) return
      onState('down', error as Error)
      retry = setTimeout(() => { listen().catch(() => {}) }, retryMs).unref()
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
      return
    }
    if (closed) {
      await candidate.end().catch(() => {})
      return
    }
    // The watch alone keeps no process alive: one whose start failed after the database opened must exit.
    ;(candidate as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.()
    client = candidate
    retryMs = RETRY_MS
    // Whatever changed while no one listened.
    tell({ table: '*' })
    onState('up')
  }

  /**
   * A round trip on the listening connection: PostgreSQL sends it the notifications of every transaction
   * committed before the query arrived ahead of the query's answer, and the driver hands them to the
   * listeners first. The query is empty: it is never parsed or planned, and answers in about half the time
   * of `SELECT 1` (50 µs against 75–105 µs on the benchmark's machine), on the path of every token check.
   * Calls while one is in flight share the next one, which starts after them.
   */
  function start (): Promise<void> {
    const listening = client
    if (listening === undefined) return Promise.reject(new Error('the row watch is not listening'))
    const round = listening.query('').then(() => {
      if (client !== listening) throw new Error('the row watch stopped listening')
    })
    inFlight = round
    round.finally(() => { if (inFlight === round) inFlight = undefined }).catch(() => {})
    return round
  }

  await listen()
  return {
    listen: listener => { listeners.push(listener) },
    catchUp () {},
    settled: () => client !== undefined,
    get generation () { return generation },
    sync () {
      if (queued !== undefined) return queued
      if (inFlight === undefined) return start()
      const next = inFlight.catch(() => {}).then(() => {
        queued = undefined
        return start()
      })
      queued = next
      return next
    },
    async close () {
      closed = true
      clearTimeout(retry)
      const listening = client
      client = undefined
      await listening?.end().catch(() => {})
    }
  }
}
