"""The Telegram channel: citizen intake in chat and the officers' desk (python-telegram-bot 22)."""
