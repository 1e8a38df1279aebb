"""The hall display (``kiosk --mode display``): the TV on the wall that shows the calls.

``calls.py`` is the pure sequencing of calls (no kivy: a call at a time, never
overlapping, a recall repeats); ``board.py`` the Kivy board (current call per window in
very large type, the last calls, the waiting count per queue); ``app.py`` the Kivy App
that runs it with the hall server's events and the speaker. Imported by ``kiosk.cli``
(the app) and by tests; nothing else imports it.
"""
