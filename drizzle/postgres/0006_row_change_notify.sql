-- Every change to a users or sessions row is told to the instances that keep rows in memory: each
-- LISTENs on auth_row_changed and drops the row named "table:id" (see src/db/pg-watch.ts). A
-- notification is delivered when its transaction commits, and not at all when it rolls back.
CREATE OR REPLACE FUNCTION auth_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('auth_row_changed', TG_TABLE_NAME || ':' || OLD.id);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER users_row_changed AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION auth_row_changed();
--> statement-breakpoint
CREATE TRIGGER sessions_row_changed AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION auth_row_changed();
