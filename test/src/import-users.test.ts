import { pbkdf2Sync } from 'node:crypto'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import t, { type Test } from 'tap'
import { build, PASSWORD, post } from '../helper.js'
import { query, sharedDatabase } from '../helpers/database.js'
import { foreignHashes } from '../helpers/hashes.js'
import { cli } from '../helpers/processes.js'
import type { App } from '../helpers/types.js'

/** A JSON Lines file of these accounts (a string is written as it is), in the test's own folder. */
function file (t: Test, lines: Array<Record<string, unknown> | string>): string {
  const text = lines.map(line => typeof line === 'string' ? line : JSON.stringify(line)).join('\n') + '\n'
  return join(t.testdir({ 'users.jsonl': text }), 'users.jsonl')
}

async function users (app: App) {
  return query(app)`SELECT id, email, username, role, password_hash, created_at, email_verified_at FROM users
    ORDER BY email`
}

/** A time as either engine returns it (milliseconds on SQLite, a Date on PostgreSQL), in ISO 8601. */
function iso (value: unknown): string | null {
  return value === null ? null : new Date(value as number | Date).toISOString()
}

const bcryptHash = bcrypt.hashSync(PASSWORD, 4)

t.test('each hash format imported logs in, moves to the service\'s bcrypt at once, and logs in again', async t => {
  const env = await sharedDatabase(t)
  const formats = Object.entries(foreignHashes(PASSWORD))
  const accounts = formats.map(([, passwordHash], index) => ({ email: `user${index}@example.com`, passwordHash }))
  const path = file(t, accounts)
  const imported = await cli(['import-users', path], env)
  t.equal(imported.code, 0, imported.stderr)
  t.equal(imported.stdout, `Imported ${formats.length}, skipped 0 (email already registered), refused 0\n`)

  const app = await build(t, env)
  const before = await users(app)
  const again = await cli(['import-users', path], env)
  t.equal(again.code, 0, again.stderr)
  t.equal(again.stdout, `Imported 0, skipped ${formats.length} (email already registered), refused 0\n`)
  t.strictSame(await users(app), before, 'running the file again changes nothing')
  const events = await query(app)`SELECT count(*) AS count FROM auth_events WHERE type = 'user_imported'`
  t.equal(Number(events[0]?.count), formats.length, 'one audit event per account imported')

  for (const [index, [format, hash]] of formats.entries()) {
    const email = `user${index}@example.com`
    const wrong = await post(app, '/auth/login', { email, password: PASSWORD + '!' })
    t.match(wrong, { statusCode: 401 }, `${format}: a wrong password`)
    t.equal(wrong.json().code, 'INVALID_CREDENTIALS', format)
    t.equal((await post(app, '/auth/login', { email, password: PASSWORD })).statusCode, 200, format)
    const [row] = await query(app)`SELECT password_hash FROM users WHERE email_key = ${email}`
    t.not(row?.password_hash, hash, `${format}: the imported hash is replaced`)
    t.match(row?.password_hash, /^\$2b\$10\$[./A-Za-z0-9]{53}$/, `${format}: by bcrypt at BCRYPT_COST`)
    t.equal((await post(app, '/auth/login', { email, password: PASSWORD })).statusCode, 200, `${format}: again`)
  }
})

t.test('createdAt, emailVerified, role, name and metadata are stored as given', async t => {
  const env = await sharedDatabase(t)
  const path = file(t, [
    {
      email: 'Ada@Example.com',
      username: 'ada',
      name: 'Ada Lovelace',
      role: 'admin',
      metadata: { plan: 'pro', seats: 3 },
      createdAt: '2020-01-02T03:04:05.678+01:00',
      emailVerified: true,
      passwordHash: bcryptHash
    },
    // Null fields, as database exports write empty columns, count as absent.
    { email: 'grace@example.com', username: null, name: null, createdAt: '2021-06-07T08:09:10Z', emailVerified: false, passwordHash: bcryptHash },
    { email: 'linus@example.com', emailVerified: true, passwordHash: bcryptHash }
  ])
  const started = Date.now()
  const result = await cli(['import-users', path], env)
  t.equal(result.code, 0, result.stderr)

  const app = await build(t, env)
  const rows = await users(app)
  t.match(rows.map(row => [row.email, row.username, row.role, iso(row.created_at), iso(row.email_verified_at)]), [
    ['Ada@Example.com', 'ada', 'admin', '2020-01-02T02:04:05.678Z', '2020-01-02T02:04:05.678Z'],
    ['grace@example.com', null, 'user', '2021-06-07T08:09:10.000Z', null],
    ['linus@example.com', null, 'user', String, String]
  ])
  const linus = rows[2] as Record<string, unknown>
  t.ok(new Date(iso(linus.created_at) as string).getTime() >= started - 1000, 'without createdAt, made now')
  t.equal(linus.email_verified_at, linus.created_at, 'verified when made')
  const login = await post(app, '/auth/login', { email: 'ada@example.com', password: PASSWORD })
  const user = { email: 'Ada@Example.com', name: 'Ada Lovelace', role: 'admin', createdAt: '2020-01-02T02:04:05.678Z' }
  t.match(login.json().user, { ...user, metadata: { plan: 'pro', seats: 3 } })
})

t.test('a refused line is reported with its number and reason, and the good lines are imported (exit 1)', async t => {
  const env = await sharedDatabase(t)
  const pbkdf2 = (iterations: number) => `pbkdf2_sha256$${iterations}$salt$` +
    pbkdf2Sync(PASSWORD, 'salt', 1, 32, 'sha256').toString('base64')
  const path = file(t, [
    { email: 'first@example.com', username: 'first', passwordHash: bcryptHash },
    '{"email": "broken@example.com", "passwordHash": ',
    { email: 'not-an-email', passwordHash: bcryptHash },
    '',
    { email: 'md5@example.com', passwordHash: 'md5$salt$0123456789abcdef' },
    { email: 'slow@example.com', passwordHash: pbkdf2(2_000_001) },
    { email: 'mixed@example.com', username: 'pаypal', passwordHash: bcryptHash },
    { email: 'extra@example.com', password: PASSWORD, passwordHash: bcryptHash },
    { email: 'FIRST@example.com', passwordHash: bcryptHash },
    { email: 'second@example.com', username: 'First', passwordHash: bcryptHash },
    { email: 'nohash@example.com' },
    { email: 'future@example.com', createdAt: '2999-01-01T00:00:00Z', passwordHash: bcryptHash },
    { email: 'last@example.com', passwordHash: pbkdf2(1) }
  ])
  const result = await cli(['import-users', path], env)
  t.equal(result.code, 1)
  t.equal(result.stdout, 'Imported 2, skipped 0 (email already registered), refused 10\n')
  t.match(result.stderr.trim().split('\n'), [
    /^line 2: is not valid JSON/,
    /^line 3: email must be a valid email address$/,
    /^line 5: passwordHash is not of a known format/,
    /^line 6: passwordHash iterations 2000001 is outside 1–2000000$/,
    /^line 7: username must not mix the letters of Latin, Cyrillic/,
    /^line 8: password is not an allowed property$/,
    /^line 9: email repeats line 1$/,
    /^line 10: username repeats line 1$/,
    /^line 11: passwordHash is required$/,
    /^line 12: createdAt must not be in the future$/
  ])
  const app = await build(t, env)
  t.strictSame((await users(app)).map(row => row.email), ['first@example.com', 'last@example.com'])
  t.equal((await post(app, '/auth/login', { email: 'last@example.com', password: PASSWORD })).statusCode, 200)
})

t.test('a line repeating an earlier line\'s email is refused across batches, on every run alike', async t => {
  const env = await sharedDatabase(t)
  const account = (index: number) => ({ email: `u${index}@example.com`, passwordHash: bcryptHash })
  const accounts = Array.from({ length: 600 }, (_, index) => account(index))
  const path = file(t, [...accounts, { email: 'U1@example.com', passwordHash: bcryptHash }])
  const runs = [
    [['--dry-run'], 'Dry run, nothing written: would import 600, skip 0 (email already registered), refuse 1\n'],
    [[], 'Imported 600, skipped 0 (email already registered), refused 1\n'],
    [[], 'Imported 0, skipped 600 (email already registered), refused 1\n']
  ] as const
  for (const [options, summary] of runs) {
    const result = await cli(['import-users', path, ...options], env)
    t.equal(result.code, 1)
    t.equal(result.stdout, summary)
    t.equal(result.stderr, 'line 601: email repeats line 2\n')
  }
})

t.test('--dry-run checks against the accounts there are and writes nothing; a taken username is refused', async t => {
  const env = await sharedDatabase(t)
  const app = await build(t, env)
  for (const name of ['bob', 'tom']) {
    const registered = { email: `${name}@example.com`, username: name, password: PASSWORD }
    t.equal((await post(app, '/auth/register', registered)).statusCode, 201)
  }
  const before = await users(app)
  const path = file(t, [
    { email: 'BOB@example.com', username: 'bob', passwordHash: bcryptHash },
    { email: 'robert@example.com', username: 'Bob', passwordHash: bcryptHash },
    { email: 'tommy@example.com', username: 't0m', passwordHash: bcryptHash },
    { email: 'carol@example.com', username: 'carol', passwordHash: bcryptHash }
  ])
  const refusals = [
    'line 2: username is taken by another account',
    'line 3: username looks like another account\'s (a look-alike of a taken name is taken)'
  ].join('\n') + '\n'

  const dry = await cli(['import-users', '--dry-run', path], env)
  t.equal(dry.code, 1)
  t.equal(dry.stdout, 'Dry run, nothing written: would import 1, skip 1 (email already registered), refuse 2\n')
  t.equal(dry.stderr, refusals)
  t.strictSame(await users(app), before, 'a dry run writes nothing')
  const events = await query(app)`SELECT count(*) AS count FROM auth_events WHERE type = 'user_imported'`
  t.equal(Number(events[0]?.count), 0, 'nor any audit event')

  const real = await cli(['import-users', path], env)
  t.equal(real.code, 1)
  t.equal(real.stdout, 'Imported 1, skipped 1 (email already registered), refused 2\n')
  t.equal(real.stderr, refusals, 'the same checks as the dry run')
  t.strictSame((await users(app)).map(row => row.username), ['bob', 'carol', 'tom'])
})

t.test('import-users called wrongly prints the reason and the usage, with exit status 2', async t => {
  const env = await sharedDatabase(t)
  const path = file(t, [{ email: 'a@example.com', passwordHash: bcryptHash }])
  const cases: Array<[string[], RegExp]> = [
    [['import-users'], /import-users needs one FILE/],
    [['import-users', path, path], /import-users needs one FILE/],
    [['import-users', path, '--force'], /Unknown option '--force'/],
    [['import-users', path, '--dry-run', '--dry-run'], /--dry-run is given more than once/],
    [['import-users', join(path, '..', 'missing.jsonl')], /cannot read .*missing\.jsonl: ENOENT/],
    [['import-users', join(path, '..')], /cannot read .*: not a file/]
  ]
  for (const [args, message] of cases) {
    const result = await cli(args, env)
    t.equal(result.code, 2, args.join(' '))
    t.match(result.stderr, message, args.join(' '))
    t.match(result.stderr, /Usage: npm run cli/, args.join(' '))
  }
  const app = await build(t, env)
  t.strictSame(await users(app), [], 'nothing was imported')
})
