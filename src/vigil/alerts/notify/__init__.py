"""Notification channels (webhook, Slack, SMTP), the outbox and the dispatcher with retries."""
