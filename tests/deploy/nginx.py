"""A private nginx for the deploy tests: its whole config, pid, logs and temp files in
one folder of the test's, so it needs no root paths and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_nginx_conf"]


def write_nginx_conf(folder: Path, http_body: str) -> Path:
    """``folder/nginx.conf`` with ``http_body`` inside ``http { … }``; returns its path."""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "events {}\nhttp {\n"
        f"  access_log {folder}/access.log;\n"
        f"  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        f"{http_body}}}\n"
    )
    return conf
