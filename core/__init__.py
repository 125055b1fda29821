"""Lotse's core: knowledge, routing, replies, handover, privacy and stores.

Every program (the Rasa action in actions/, the Telegram and terminal bots in bot/, the
volunteers' editor in editor/, the operator tools in tools/) imports this package and never
another program; the core imports no Rasa, python-telegram-bot or Sanic (.importlinter)."""
