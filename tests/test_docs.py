"""The README documents every setting and both set-up commands."""

from __future__ import annotations

import pytest

from search_service.settings import SETTINGS

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_in_the_readme(setting) -> None:
    assert f"| `{setting.env}` |" in README


def test_the_two_commands_are_on_the_first_screen() -> None:
    first_screen = "\n".join(README.splitlines()[:30])
    assert "scripts/run" in first_screen and "scripts/test" in first_screen
    assert "curl" in first_screen
