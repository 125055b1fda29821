"""Lotse action server package: knowledge, routing and the custom Rasa actions.

The action server is started with `--actions actions.reply`, so importing this
package stays cheap for the command-line tools that share its modules.
"""
