"""The kiosk's screens, one module per screen with its kv rule beside it.

:data:`SCREENS` names them all; :mod:`kiosk.app` loads each the first time it is needed
(and builds those in :data:`WARM_UP` in idle time) and keeps it. Each screen gets its
collaborators handed in as ``host`` (:class:`kiosk.screens.base.ScreenHost`: content,
media, clock, navigation, the ticket desk, speech, settings and sync state) and uses
nothing else of the app. Only the Kivy app imports this package.
"""

__all__ = ["SCREENS", "WARM_UP", "WARM_UP_FILLED"]

#: Screen name → (module, class). Loaded on first use, then kept.
SCREENS: dict[str, tuple[str, str]] = {
    "home": ("kiosk.screens.home", "HomeScreen"),
    "categories": ("kiosk.screens.services", "CategoriesScreen"),
    "services": ("kiosk.screens.services", "ServiceListScreen"),
    "service": ("kiosk.screens.services", "ServiceScreen"),
    "staff": ("kiosk.screens.staff", "StaffScreen"),
    "rooms": ("kiosk.screens.rooms", "RoomsScreen"),
    "room": ("kiosk.screens.rooms", "RoomScreen"),
    "notices": ("kiosk.screens.notices", "NoticesScreen"),
    "notice": ("kiosk.screens.notices", "NoticeScreen"),
    "about": ("kiosk.screens.about", "AboutScreen"),
    "maintenance": ("kiosk.screens.maintenance", "MaintenanceScreen"),
    "take_number": ("kiosk.screens.take_number", "TakeNumberScreen"),
    "ticket": ("kiosk.screens.ticket", "TicketScreen"),
    "report": ("kiosk.screens.report", "ReportScreen"),
    "progress": ("kiosk.screens.progress", "ProgressScreen"),
    "openness": ("kiosk.screens.openness", "OpennessScreen"),
}

#: Screens built in idle time once home is up, one per frame, so a resident's first tap
#: on a tile does not wait for a module, its kv rule and its widgets (bench: the slowest
#: taps were first visits). Those in ``WARM_UP_FILLED`` take no parameters and are also
#: filled with the content; the others are filled when opened.
WARM_UP: tuple[str, ...] = (
    "categories",
    "staff",
    "rooms",
    "notices",
    "about",
    "services",
    "service",
    "room",
    "notice",
    "take_number",
    "ticket",
    "report",
    "progress",
    "openness",
)
WARM_UP_FILLED = frozenset({"categories", "staff", "rooms", "about"})
