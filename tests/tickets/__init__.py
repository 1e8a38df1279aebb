"""Tickets end to end: the kiosk outbox and courier against the real server, through faults."""
