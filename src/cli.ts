/** Operator commands: `npm run cli -- <command>`, on the very app the server runs, without listening. */
import { open } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { UserImport } from './accounts/import.js'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { ServiceError } from './errors.js'
import { compileValidator } from './http/validation.js'
import { normalizePassword } from './passwords/normalize.js'
import { CreateUserInput } from '../schemas/admin.js'
import { ImportedUser } from '../schemas/import.js'

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  create-user --email EMAIL [--role ROLE] [--username NAME] [--name "FULL NAME"] [--password PASSWORD]
      Creates an account; --role admin is the only way to make an admin. Without --password, the
      password is read, as one line, from piped standard input, which keeps it out of the shell
      history and the process list:
        printf '%s' "$ADMIN_PASSWORD" | npm run cli -- create-user --email admin@example.com --role admin
  rotate-keys
      Adds a new access-token signing key (JWT_ALGORITHM EdDSA, ES256 or RS256, keys kept in the
      database). It signs from then on, on every instance within seconds; the previous key stays
      in /.well-known/jwks.json until the tokens it signed have expired, then leaves it.
  import-users FILE [--dry-run]
      Brings in accounts from another system with their password hashes (bcrypt, Django, Werkzeug), which
      move to this service's bcrypt at each account's first login. FILE is JSON Lines, one account a line:
        {"email":"ada@example.com","username":"ada","passwordHash":"pbkdf2_sha256$1000000$…","emailVerified":true}
      Each line is checked as a registration; a refused line is reported as "line N: reason" and the others
      go on. An email already registered is skipped, so running a file again changes nothing. --dry-run makes
      every check and writes nothing. Exit status 1 when a line was refused. See docs/cli.md.
  prune
      Deletes ended and expired sessions, expired refresh tokens, audit events older than
      AUDIT_RETENTION (90d), messages sent or given up once their codes have expired, and used
      or expired email codes.

The CLI reads the same environment as the server (DATABASE_URL, BCRYPT_COST, …).`

/** An error in how the CLI was called: printed with the usage, exit status 2. */
class UsageError extends Error {}

/**
 * The password from standard input, one line. A terminal is refused rather than prompted: what is typed
 * there would be echoed and kept in the scrollback.
 */
async function readPassword (): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(
      'give the password on standard input, e.g. printf \'%s\' "$PASSWORD" | npm run cli -- create-user …, ' +
      'or with --password'
    )
  }
  let text = ''
  for await (const chunk of process.stdin) text += String(chunk)
  const password = text.replace(/\r?\n$/, '')
  if (/[\r\n]/.test(password)) throw new UsageError('the password on standard input must be a single line')
  return password
}

/** An option given twice is refused: with parseArgs the last would silently win (`--role admin --role user`). */
function refuseRepeats (tokens: Array<{ kind: string, name?: string }>): void {
  const seen = new Set<string>()
  for (const { kind, name } of tokens) {
    if (kind !== 'option' || name === undefined) continue
    if (seen.has(name)) throw new UsageError(`--${name} is given more than once`)
    seen.add(name)
  }
}

async function withApp<T> (work: (app: Awaited<ReturnType<typeof buildApp>>) => Promise<T>): Promise<T> {
  const app = await buildApp(loadConfig(), { logger: false })
  try {
    await app.ready()
    return await work(app)
  } finally {
    await app.close()
  }
}

async function createUser (args: string[]): Promise<string> {
  const { values, tokens } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    tokens: true,
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string', default: 'user' },
      username: { type: 'string' },
      name: { type: 'string' }
    }
  })
  refuseRepeats(tokens)
  if (values.email === undefined) throw new UsageError('create-user needs --email')
  // NFC first, as for passwords sent over HTTP, so the length rules count the same characters.
  const password = normalizePassword(values.password ?? await readPassword())
  const input = { ...values, email: values.email, role: values.role ?? 'user', password }
  const config = loadConfig()
  const problems = compileValidator(CreateUserInput(config.passwordMinLength))(input)
  if (problems.length > 0) {
    throw new UsageError(problems.map(problem => `--${problem.path.slice(1) || 'input'} ${problem.message}`).join('\n'))
  }
  const user = await withApp(app => app.accounts.createUser(input))
  return `Created ${user.role} ${user.email} (id ${user.id})`
}

/**
 * The lines of FILE, read as they are needed; a file that cannot be read is a usage error, found at once.
 * The lines are read only once iterated: lines a reader emitted before, while the app starts, would be lost.
 */
async function openLines (file: string): Promise<AsyncIterable<string>> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`)
  })
  if (!(await handle.stat()).isFile()) {
    await handle.close()
    throw new UsageError(`cannot read ${file}: not a file`)
  }
  return (async function * lines () {
    yield * createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity })
  })()
}

async function importUsers (args: string[]): Promise<Outcome> {
  const { values, positionals, tokens } = parseArgs({
    args, strict: true, allowPositionals: true, tokens: true, options: { 'dry-run': { type: 'boolean' } }
  })
  refuseRepeats(tokens)
  if (positionals.length !== 1) throw new UsageError('import-users needs one FILE, of JSON Lines')
  const dryRun = values['dry-run'] === true
  const lines = await openLines(positionals[0] as string)
  const validate = compileValidator(ImportedUser)
  const summary = await withApp(app => new UserImport({
    store: app.store, users: app.users, events: app.events, validate
  }).run(lines, {
    dryRun,
    onRefused: (line, reason) => { process.stderr.write(`line ${line}: ${reason}\n`) },
    onProgress: ({ lines, imported, skipped, refused }) => {
      process.stderr.write(`${lines} lines read: ${imported} imported, ${skipped} skipped, ${refused} refused\n`)
    }
  }))
  const { imported, skipped, refused } = summary
  return {
    output: dryRun
      ? `Dry run, nothing written: would import ${imported}, skip ${skipped} (email already registered), ` +
        `refuse ${refused}`
      : `Imported ${imported}, skipped ${skipped} (email already registered), refused ${refused}`,
    status: refused > 0 ? 1 : 0
  }
}

async function prune (args: string[]): Promise<string> {
  parseArgs({ args, strict: true, allowPositionals: false, options: {} })
  const removed = await withApp(async app => {
    const { auditRetention, email } = app.config
    // A message is kept until every code it could hold has expired.
    const mailKept = Math.max(email.codeTtl, email.verificationTtl) * 1000
    return {
      ...await app.sessions.prune(),
      events: await app.events.prune(auditRetention),
      mail: await app.mail.prune(new Date(Date.now() - mailKept)),
      codes: await app.emailFlows.prune(),
      mfaChallenges: await app.mfa.prune(),
      passkeyChallenges: await app.passkeys.prune()
    }
  })
  return `Pruned ${removed.sessions} sessions, ${removed.refreshTokens} refresh tokens, ` +
    `${removed.events} audit events, ${removed.mail} sent messages, ${removed.codes} email codes, ` +
    `${removed.mfaChallenges} two-factor login challenges and ${removed.passkeyChallenges} passkey challenges`
}

async function rotateKeys (args: string[]): Promise<string> {
  parseArgs({ args, strict: true, allowPositionals: false, options: {} })
  const config = loadConfig()
  if (config.jwtAlgorithm === 'HS256') {
    throw new UsageError(
      'rotate-keys needs JWT_ALGORITHM EdDSA, ES256 or RS256; ' +
      'HS256 signs with one secret (JWT_SECRET), which has no public key to rotate'
    )
  }
  if (config.jwtPrivateKey !== undefined) {
    throw new UsageError(
      'the signing key is given by JWT_PRIVATE_KEY: rotate it by giving a new one ' +
      '(the previous key stays published until its tokens expire)'
    )
  }
  const key = await withApp(async app => app.accessTokens.rotate())
  return `New ${key.alg} signing key ${key.kid}; the previous key stays published ` +
    `for ${config.accessTokenTtl} seconds (the access-token lifetime) plus ten seconds`
}

/** What a command prints on standard output, and its exit status when not 0. */
type Outcome = string | { output: string, status: number }

const COMMANDS: Record<string, (args: string[]) => Promise<Outcome>> = {
  'create-user': createUser, 'import-users': importUsers, 'rotate-keys': rotateKeys, prune
}

/** Runs one command and returns the process exit status: 0 done, 1 failed (or lines refused), 2 called wrongly. */
export async function main (argv: string[]): Promise<number> {
  const [command, ...args] = argv
  if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(USAGE + '\n')
    return command === undefined ? 2 : 0
  }
  const run = COMMANDS[command]
  try {
    if (run === undefined) throw new UsageError(`Unknown command "${command}"`)
    const outcome = await run(args)
    const { output, status } = typeof outcome === 'string' ? { output: outcome, status: 0 } : outcome
    process.stdout.write(output + '\n')
    return status
  } catch (error) {
    const usage = error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
    const known = usage || error instanceof ConfigError || error instanceof ServiceError
    process.stderr.write(`error: ${known ? (error as Error).message : String((error as Error).stack)}\n`)
    if (usage) process.stderr.write(`\n${USAGE}\n`)
    return usage ? 2 : 1
  }
}

process.exitCode = await main(process.argv.slice(2))
