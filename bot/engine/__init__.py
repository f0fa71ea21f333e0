"""The conversation engine: pure Python, no I/O, no Telegram. Events in, messages out."""
