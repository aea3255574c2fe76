"""Authentication and authorization: users, passwords, JWT access tokens, refresh-token families."""
