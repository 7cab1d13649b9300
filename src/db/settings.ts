/** Service-wide values kept in the database, such as generated secrets. */
import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Database } from './index.js'
import { settings } from './schema.js'

/**
 * A 256-bit secret stored under `key`, generated on first use. Insert-or-ignore then read back,
 * so processes starting together on one database agree on a single value.
 */
export function storedSecret (db: Database, key: string): string {
  db.insert(settings).values({ key, value: randomBytes(32).toString('base64url') }).onConflictDoNothing().run()
  return db.select().from(settings).where(eq(settings.key, key)).get()?.value as string
}
