"""Stay Safe: trustworthy safety information for refugees from Ukraine, on Telegram."""
