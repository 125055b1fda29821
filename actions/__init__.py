"""The Rasa action server's actions (`--actions actions.reply`): tracker in, a core decision, events out.

Everything the action decides with lives in core/; this package only adapts it to rasa-sdk.
"""
