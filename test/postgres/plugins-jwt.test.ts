// The behaviour suite test/plugins/jwt.test.ts, run again with PostgreSQL (see onPostgres in the helper).
import { onPostgres } from '../helper.js'

await onPostgres(() => import('../plugins/jwt.test.js'))
