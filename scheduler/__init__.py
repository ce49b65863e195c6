"""Scheduled jobs and the outbox dispatcher."""
