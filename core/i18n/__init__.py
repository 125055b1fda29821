"""The bot's and the editor's own texts in every language, with one fallback rule."""
