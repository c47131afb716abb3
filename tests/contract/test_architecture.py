"""The import contracts keep the services' floors: they pass on the code as it is, and fail when
an import closes a circle or points up a floor.

Each case copies `app/` and the contracts aside, adds one import, and runs `lint-imports` on the
copy, exactly as `make lint` runs it on the real code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tmp_path: Path, *, add: tuple[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    shutil.copytree(ROOT / "app", tmp_path / "app",
                    ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if add is not None:
        module, line = add
        path = tmp_path / Path(*module.split(".")).with_suffix(".py")
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", "pyproject.toml"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_the_code_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    done = _lint(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    # The circle this layout broke: the directory replaying deliveries through integrations.
    ("app.services.org.people", "from app.services.integrations import replay  # noqa",
     ["no import circle", "contexts in floors"]),
    # Two siblings in one package importing each other.
    ("app.services.kit.context", "from app.services.kit import audit  # noqa",
     ["no import circle"]),
    # An arrow up a floor, with no circle: support reading the growth cycle.
    ("app.services.support.policies", "from app.services.growth import hr_feed  # noqa",
     ["contexts in floors"]),
    # Two contexts on one floor are independent of each other.
    ("app.services.cases.concerns", "from app.services.identity import me  # noqa",
     ["contexts in floors"]),
])
def test_an_import_that_closes_a_circle_or_points_up_breaks_a_contract(
        tmp_path: Path, module: str, line: str, broken: list[str]) -> None:
    done = _lint(tmp_path, add=(module, line))
    assert done.returncode != 0, done.stdout
    for contract in broken:
        assert any(contract in row and row.rstrip().endswith("BROKEN")
                   for row in done.stdout.splitlines()), done.stdout
