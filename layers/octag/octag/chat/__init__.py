"""Chat: WebSocket routing, connection sender, (later) the turn pipeline and sessions."""
