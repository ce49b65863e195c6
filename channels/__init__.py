"""Channel adapters: each turns transport input into `bot.intake.door.InboundMessage`."""
