"""Analytics and audit events: the versioned schema, storage, and the SQS consumer."""
