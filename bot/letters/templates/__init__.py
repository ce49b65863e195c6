"""One module per document; each defines KIND, registered in bot.letters.registry."""
