"""Rasa's model: its NLU data from knowledge/, training, hot reload over Rasa's authenticated HTTP API."""
