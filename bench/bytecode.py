"""Byte-compile the project's own packages, as installing a package does.

`pip install -e` (what `make setup` runs) compiles the dependencies but not the
project, and Python caches a module's bytecode at its first import unless
PYTHONDONTWRITEBYTECODE is set, as it is on our CI machines. There, every `ntm`
command would compile the project's modules again at each start (some 80 ms of
`ntm validate` on a 2-core machine); `make setup` and `make bench` run this first.
A stale file is harmless: Python compares it with its source and compiles again.
"""

from __future__ import annotations

import compileall
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def packages() -> list[str]:
    """Return the project's top-level packages (pyproject.toml's list), and bench."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return [name for name in listed if "." not in name] + ["bench"]


def compile_project() -> bool:
    """Write the bytecode of every module of the project's packages that lacks a current
    one; return whether all compiled."""
    return all(compileall.compile_dir(ROOT / name, quiet=1) for name in packages())


if __name__ == "__main__":
    raise SystemExit(0 if compile_project() else 1)
