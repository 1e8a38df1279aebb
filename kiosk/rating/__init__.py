"""The counter-side rating device (``kiosk --mode rating --counter N``): 好差评 at a window.

``session.py`` is the pure flow of one rating (idle → the question → reasons → phone →
thanks, the 60 s limit, 未评价), over the rules in :mod:`kiosk.core.ratings`;
``store.py`` the durable store (every rating written before 谢谢 shows, the staff card
cached for offline); ``link.py`` the server side (``GET rating-card``,
``POST /ratings`` with an Idempotency-Key) and the courier that delivers; ``faces.py``
the five faces drawn on the canvas; ``device.py`` the screens; ``app.py`` the Kivy App
that runs it with the hall's event stream. The non-Kivy modules (session, store, link)
import no kivy. Imported by ``kiosk.cli`` (the app), tests and ``bench/rating_prompt.py``.
"""
