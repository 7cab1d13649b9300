// The behaviour suite test/routes/auth/login.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../routes/auth/login.test.js'))
