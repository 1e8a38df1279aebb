"""The first run of a newcomer: ``make run``'s install and banner."""
