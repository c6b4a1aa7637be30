"""Time-driven work: the planning tick and the outbox sender."""
