"""The bots people talk to: Telegram (bot/telegram) and the terminal chat (bot/terminal.py)."""
