/** Service-wide values kept in the database, such as generated secrets. */
import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Store } from './index.js'

/** A 256-bit secret under `key`, generated on first use; insert-or-ignore, so instances starting together agree. */
export async function storedSecret (store: Store, key: string): Promise<string> {
  const { settings } = store.tables
  await store.write(db => db.insert(settings)
    .values({ key, value: randomBytes(32).toString('base64url') }).onConflictDoNothing())
  const [row] = await store.db.select().from(settings).where(eq(settings.key, key)).limit(1)
  return row?.value as string
}
