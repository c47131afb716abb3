"""The README's configuration table is the one place an operator learns the settings: every
setting GPS reads is in it, and it names none that GPS does not read."""

from __future__ import annotations

import re
from pathlib import Path

from app.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _table_variables() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(GPS_[A-Z0-9_]+)` \|", section, flags=re.MULTILINE))


def test_every_setting_is_documented_in_the_configuration_table_and_no_other():
    read = {f"GPS_{name.upper()}" for name in Settings.model_fields}
    documented = _table_variables()
    assert read - documented == set(), "settings missing from the README's table"
    assert documented - read == set(), "the README documents settings GPS does not read"
