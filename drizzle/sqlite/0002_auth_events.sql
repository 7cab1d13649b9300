CREATE TABLE `auth_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`user_id` text,
	`session_id` text,
	`actor_id` text,
	`ip` text,
	`user_agent` text,
	`reason` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `auth_events_created_at_idx` ON `auth_events` (`created_at`);--> statement-breakpoint
CREATE INDEX `auth_events_user_id_idx` ON `auth_events` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `auth_events_type_idx` ON `auth_events` (`type`,`created_at`);