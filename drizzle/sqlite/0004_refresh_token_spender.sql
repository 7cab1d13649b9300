ALTER TABLE `refresh_tokens` ADD `used_ip` text;--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `used_user_agent` text;