"""Pure domain logic: no discord, aiosqlite or apscheduler imports here."""
