"""Who may import what (issue 11): the import-linter contracts of pyproject.toml's
``[tool.importlinter]`` hold, so a broken contract fails pytest as well as ``make contracts``.

They replace the hand-written "import everything, look in ``sys.modules``" checks: the
contracts read every import statement of every module (those inside functions too), so a
module nobody remembered to list cannot slip through.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import kiosk

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_the_import_contracts_hold() -> None:
    done = _lint_imports()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in done.stdout


def test_a_broken_contract_fails(tmp_path: Path) -> None:
    # The same run must fail when a contract is broken: kiosk.core's content model is
    # built on pydantic, so forbidding pydantic there breaks.
    config = tmp_path / "broken.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["kiosk"]\n'
        "include_external_packages = true\n"
        "[[tool.importlinter.contracts]]\n"
        'name = "kiosk.core without pydantic"\n'
        'type = "forbidden"\n'
        'source_modules = ["kiosk.core"]\n'
        'forbidden_modules = ["pydantic"]\n',
        "utf-8",
    )
    done = _lint_imports("--config", str(config))
    assert done.returncode != 0
    assert "BROKEN" in done.stdout and "kiosk.core.content -> pydantic" in done.stdout


def test_the_server_contract_names_every_other_kiosk_module() -> None:
    # "kiosk.server takes only kiosk.core" is written as a list of what it may not take;
    # a new top-level module of the kiosk package must join that list.
    (contract,) = (c for c in _contracts() if c.get("source_modules") == ["kiosk.server"])
    forbidden = contract["forbidden_modules"]
    assert isinstance(forbidden, list)
    modules = {f"kiosk.{m.name}" for m in pkgutil.iter_modules(kiosk.__path__)}
    assert set(forbidden) == modules - {"kiosk.core", "kiosk.server"}
