// The behaviour suite test/routes/auth/throttle.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../routes/auth/throttle.test.js'))
