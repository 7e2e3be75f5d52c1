"""Actions for regular events: audit records, notifications, metrics."""
