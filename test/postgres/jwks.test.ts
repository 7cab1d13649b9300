// The behaviour suite test/routes/jwks.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../routes/jwks.test.js'))
