ALTER TABLE "refresh_tokens" ADD COLUMN "used_ip" text;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD COLUMN "used_user_agent" text;