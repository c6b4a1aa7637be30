"""Updates in: polled from Telegram into the durable inbox, handled from there."""
