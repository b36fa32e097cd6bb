"""The shipped program library: well-known optimizers as program files.

Owns finding and loading the `.py` program files under `configs/programs/`
(copied to `<prefix>/share/optsearch/configs` by a non-editable install), by name.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dsl.parser import parse
from dsl.program import Program


def configs_dir() -> Path:
    """The `configs/` folder: the source checkout's, else the installed copy."""
    checkout = Path(__file__).resolve().parent.parent / "configs"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "optsearch" / "configs"


def programs_dir() -> Path:
    """The folder holding the built-in program files."""
    return configs_dir() / "programs"


def builtin_names() -> list[str]:
    """Names of the built-in programs, sorted (e.g. "adamw", "lion")."""
    return sorted(p.stem for p in programs_dir().glob("*.py") if not p.stem.startswith("_"))


def builtin_path(name: str) -> Path:
    """The file of built-in program `name`.

    Raises:
        KeyError: no such built-in; the message lists the valid names.
    """
    path = programs_dir() / f"{name}.py"
    if not path.is_file():
        raise KeyError(f"no built-in program {name!r}; valid: {', '.join(builtin_names())}")
    return path


def load_builtin(name: str) -> Program:
    """Parse built-in program `name`."""
    path = builtin_path(name)
    return parse(path.read_text(), filename=str(path))
