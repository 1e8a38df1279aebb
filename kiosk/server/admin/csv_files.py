"""CSV downloads of the admin web: one way to make a cell safe and one way to send a file."""

from __future__ import annotations

import urllib.parse

from fastapi.responses import Response

__all__ = ["csv_download", "safe_cell"]


def safe_cell(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_download(text: str, name: str) -> Response:
    """``text`` as a CSV file called ``name`` (Chinese allowed); the BOM makes Excel open
    UTF-8 Chinese correctly, not as mojibake."""
    quoted = urllib.parse.quote(name)
    return Response(
        ("\ufeff" + text).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}",
            "Cache-Control": "no-store",
        },
    )
