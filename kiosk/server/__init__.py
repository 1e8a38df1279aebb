"""The central hall server: FastAPI app, storage, auth, events, CLI (``kiosk-server``).

May import ``kiosk.core``; nothing outside the server imports this package.
"""
