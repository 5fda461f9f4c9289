"""The notifier: finds broken and at-risk promises, writes the outbox, dispatches."""
