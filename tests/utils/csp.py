"""Content-Security-Policy violations seen by a Playwright page (Chromium).

``watch_csp(page)`` returns a list that fills with one line per violation on any page
the tab loads from then on: the ``securitypolicyviolation`` event (listened for by an
init script, which DevTools injects past the page's own policy) and Chromium's console
report ("Refused to … because it violates the following Content Security Policy …").
Browser tests assert it stays empty.
"""

from __future__ import annotations

from typing import Any

__all__ = ["watch_csp"]

_LISTEN = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')
    + ' at ' + e.documentURI + ':' + e.lineNumber);
});
"""


def watch_csp(page: Any) -> list[str]:
    seen: list[str] = []

    def on_console(message: Any) -> None:
        text = str(message.text)
        if "CSP violation" in text or "Content Security Policy" in text:
            seen.append(text)

    page.add_init_script(_LISTEN)
    page.on("console", on_console)
    return seen
