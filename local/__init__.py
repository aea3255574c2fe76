"""Octag's local runtime: API Gateway emulator, Lambda execution environments, SQS pollers,
schedules, embedded PostgreSQL and the local AWS endpoint behind `octag up`."""
