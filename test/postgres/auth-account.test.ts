// The behaviour suite test/routes/auth/account.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../routes/auth/account.test.js'))
