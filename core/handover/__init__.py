"""Handing a person over to a counsellor: matching a service, the summary they consent to, the dialogue, the cases."""
