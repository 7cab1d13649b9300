// The behaviour suite test/routes/auth/sessions.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../routes/auth/sessions.test.js'))
