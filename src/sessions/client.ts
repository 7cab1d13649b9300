/** Who is calling: what sessions and the audit trail record of a client. */

export interface ClientInfo {
  userAgent?: string
  ip?: string
}

/** The signed-in user, by their session: whose account, and from which session. */
export interface Actor { userId: string, sessionId: string }

/** Stored user agents are capped: they are informational, and headers can be long. */
export const USER_AGENT_MAX = 512

/** The client as stored beside a session or an audit event. */
export function storedClient (client: ClientInfo | undefined): { userAgent: string | null, ip: string | null } {
  return { userAgent: client?.userAgent?.slice(0, USER_AGENT_MAX) ?? null, ip: client?.ip ?? null }
}
