"""Tests of the staff admin web (kiosk/server/admin) against a real server."""
