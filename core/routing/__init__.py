"""Deciding what to do with one message: triage (emergency, person, off-topic), language, ranking."""
