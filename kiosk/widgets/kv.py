"""Loading a module's kv rule from the file beside it, once."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

__all__ = ["load_kv_beside"]


def load_kv_beside(module_file: str) -> None:
    """Load ``<module>.kv`` next to ``module_file`` unless it is loaded already."""
    path = str(Path(module_file).with_suffix(".kv"))
    if path not in Builder.files:
        Builder.load_file(path)
