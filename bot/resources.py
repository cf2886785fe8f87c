"""Where the non-Python parts of Headway live, in a source checkout and in an installed wheel.

The wheel carries `templates/` and `migrations/` under `bot/_resources/` (see pyproject.toml);
a checkout or editable install keeps them at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / "_resources" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"Headway's {name}/ directory is missing from this installation")


def templates_dir() -> Path:
    return _resource_dir("templates")


def migrations_dir() -> Path:
    return _resource_dir("migrations")
