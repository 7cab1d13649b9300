/** A new account's checks and values, alike for signup and for the CLI's accounts made by operators. */
import { randomUUID } from 'node:crypto'
import type { UserRow } from '../db/schema.js'
import { EmailTaken, invalidInput, UsernameTaken } from '../errors.js'
import type { PasswordBlocklist } from '../passwords/blocklist.js'
import type { Passwords } from '../passwords/passwords.js'
import { identityColumns, normalizeEmail, normalizeUsername } from './identity.js'
import type { Users } from './users.js'
import type { RegisterBody } from '../../schemas/auth.js'
import { Name } from '../../schemas/common.js'

export type NewUser = Omit<RegisterBody, 'role' | 'cookie'>
const NAME_MAX_LENGTH = Name.maxLength as number

/** A checked new account, its password hashed, but for its role. */
export type NewUserValues = Omit<UserRow, 'role' | 'disabledAt' | 'emailVerifiedAt' | 'mfaEnabledAt'>

export interface NewUserDependencies {
  users: Users
  passwords: Passwords
  blocklist: Pick<PasswordBlocklist, 'check'>
}

/** Checks and prepares a new account, with the same rules for signup and the CLI; the costly hash comes last. */
export async function newUserValues (
  { users, passwords, blocklist }: NewUserDependencies, input: NewUser, checkRole: () => void,
  beforeHash: () => Promise<void>
): Promise<NewUserValues> {
  const email = normalizeEmail(input.email)
  const username = input.username === undefined ? undefined : normalizeUsername(input.username)
  const name = input.name?.trim()
  if (name === '') throw invalidInput([{ path: '/name', message: 'must not be blank' }])
  // Checked by the schema of the service's own routes; a name made of parts (the LMS's) is checked here.
  if (name !== undefined && name.length > NAME_MAX_LENGTH) {
    throw invalidInput([{ path: '/name', message: `must NOT have more than ${NAME_MAX_LENGTH} characters` }])
  }
  if (input.confirmPassword !== undefined && input.confirmPassword !== input.password) {
    throw invalidInput([{ path: '/confirmPassword', message: 'must equal password' }])
  }
  checkRole()
  // The body's own problems come before conflicts with other accounts (which a weak password must not wait
  // for), and the breach API is asked before a place in the hash queue is held.
  await blocklist.check(input.password, { email: email.email, username: username?.username, name })

  // Early answers; the unique indexes remain the real guard against races.
  if (await users.findByEmail(email.email) !== undefined) throw new EmailTaken()
  if (username !== undefined && await users.findByUsername(username.username) !== undefined) {
    throw new UsernameTaken()
  }
  const admission = passwords.admit()
  try {
    await beforeHash()
  } catch (error) {
    admission.release()
    throw error
  }

  const now = new Date()
  return {
    id: randomUUID(),
    ...identityColumns(email, username),
    name: name ?? null,
    metadata: input.metadata ?? {},
    passwordHash: await passwords.hash(input.password, admission),
    createdAt: now,
    updatedAt: now
  }
}
