"""Health checks, metrics and alert rules."""
