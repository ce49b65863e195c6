"""The WhatsApp Cloud API emulator (tests, demo)."""
