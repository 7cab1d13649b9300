/** Who is calling: what sessions and the audit trail record of a client. */
import { isIP } from 'node:net'

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

/**
 * The network an address belongs to, as far as telling one client from another goes: its /24 for
 * IPv4 (an IPv4-mapped IPv6 address counts as IPv4), its /64 for IPv6. Undefined for no address.
 */
export function networkOf (ip: string | null | undefined): string | undefined {
  if (ip === null || ip === undefined) return undefined
  const address = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip
  if (isIP(address) === 4) return address.split('.').slice(0, 3).join('.') + '.0/24'
  if (isIP(address) !== 6) return address
  return ipv6Groups(address).slice(0, 4).join(':') + '::/64'
}

/** The eight groups of an IPv6 address, without leading zeros. */
function ipv6Groups (address: string): string[] {
  let text = address.toLowerCase().replace(/%.*$/, '')
  const embedded = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (embedded !== null) {
    const [a, b, c, d] = embedded.slice(1).map(Number) as [number, number, number, number]
    text = text.slice(0, embedded.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16)
  }
  const [head = '', tail] = text.split('::')
  const before = head === '' ? [] : head.split(':')
  const after = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : Array<string>(8 - before.length - after.length).fill('0')
  return [...before, ...zeros, ...after].map(group => Number.parseInt(group, 16).toString(16))
}

/** Whether a client is the one recorded: the same user agent, from the same network. */
export function sameClient (client: ClientInfo, recorded: { ip: string | null, userAgent: string | null }): boolean {
  const { userAgent } = storedClient(client)
  return userAgent === recorded.userAgent && networkOf(client.ip) === networkOf(recorded.ip)
}
