// The behaviour suite test/routes/health.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../routes/health.test.js'))
