/** Telling a database that cannot be reached from a query that failed for what it asked. */
/**
 * Error codes of a database that cannot be reached or does not answer in time: the network's, PostgreSQL's
 * connection, shutdown, timeout and no-slot codes, and SQLite's lock held past the busy timeout.
 */
const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN|08\w{3}|57P0[1-3]|57014|55P03|53300|SQLITE_BUSY)$/

/** The driver messages of a connection lost, not made in time, or of a store closed. */
const UNREACHABLE_MESSAGE = new RegExp(
  '^(Connection terminated|timeout exceeded when trying to connect|' +
  'Cannot use a pool after calling end|The database connection is not open)'
)

/** Whether a query failed because the database could not be reached rather than for what it asked. */
export function databaseUnreachable (error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const { code, message } = current as Error & { code?: unknown }
    if (typeof code === 'string' && UNREACHABLE.test(code)) return true
    if (UNREACHABLE_MESSAGE.test(message)) return true
  }
  return false
}

/** The driver's error code of a failure, looked for through drizzle's wrapping. */
export function driverCode (error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const { code } = current as Error & { code?: unknown }
    if (typeof code === 'string') return code
  }
  return undefined
}
