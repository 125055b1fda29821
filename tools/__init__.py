"""Lotse's command line and the tools behind it (runs in .venv-actions)."""
