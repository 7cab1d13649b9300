/** Where a stored row becomes what a client sees: every response built from a row goes through here. */
import type { Account, AuthEventRow, PasskeyRow, SessionRow } from './db/schema.js'
import type { AdminUser } from '../schemas/admin.js'
import type { AuthEventView } from '../schemas/events.js'
import type { Passkey } from '../schemas/passkeys.js'
import type { SessionInfo } from '../schemas/sessions.js'
import type { User } from '../schemas/user.js'

/** The columns of a session that its user's list shows. */
export type SessionView = Pick<SessionRow, 'id' | 'createdAt' | 'lastUsedAt' | 'expiresAt' | 'userAgent' | 'ip'>

export function toPublicUser (row: Account): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.emailVerifiedAt !== null,
    mfaEnabled: row.mfaEnabledAt !== null,
    username: row.username,
    name: row.name,
    role: row.role,
    metadata: row.metadata as User['metadata'],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString()
  }
}

/**
 * The signed-in user, and the methods its session was signed in with. The field is added to the view, not
 * spread beside it: V8 builds `{ ...view, amr }` on a slow path, and serializing that object cost
 * `GET /auth/me` a quarter of its throughput and 80 MB of peak memory under load (docs/performance.md).
 */
export function toCurrentUser (row: Account, amr: string[]): User & { amr: string[] } {
  const user = toPublicUser(row) as User & { amr: string[] }
  user.amr = amr
  return user
}

export function toAdminUser (row: Account): AdminUser {
  const user = toPublicUser(row) as AdminUser
  user.disabledAt = row.disabledAt?.toISOString() ?? null
  return user
}

/** A time as people read it: to the minute, rounded down. */
function toMinute (time: Date): string {
  return new Date(time.getTime() - (time.getTime() % 60_000)).toISOString()
}

/**
 * A session in its user's list; `current` when it is the session of the request. The times that a refresh
 * moves are shown to the minute: to the second, they would tell a thief holding an access token of the
 * session exactly when its owner refreshes.
 */
export function toSessionInfo (session: SessionView, currentSessionId: string): SessionInfo {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: toMinute(session.lastUsedAt),
    expiresAt: toMinute(session.expiresAt),
    userAgent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId
  }
}

export function toEventView (event: AuthEventRow): AuthEventView {
  return { ...event, createdAt: event.createdAt.toISOString() }
}

/** A passkey in its owner's list: its last use to the minute, as a session's is. */
export function toPasskeyView (row: PasskeyRow): Passkey {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt === null ? null : toMinute(row.lastUsedAt),
    deviceType: row.deviceType,
    backedUp: row.backedUp
  }
}
