import { defineConfig } from 'drizzle-kit'

/** PostgreSQL migrations, generated from src/db/schema.pg.ts (`npm run db:generate` runs both dialects). */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.pg.ts',
  out: './drizzle/postgres'
})
