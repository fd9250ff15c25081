"""People and systems: users, sign-in and its throttle, sessions, API keys, principals."""
