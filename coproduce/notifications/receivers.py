"""Listens to the audit log and schedules the notification fan-out after commit."""
