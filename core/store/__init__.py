"""The project's database: one schema for feedback, handover cases, the inbox and the gateway's records."""
