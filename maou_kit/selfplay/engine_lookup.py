"""Turning `--engine auto|builtin|NAME|PATH` into an executable path (or None for builtin).

Debian installs game engines such as `fairy-stockfish` under /usr/games, which is often
not on PATH, so those directories are searched after PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

GAME_DIRS = (Path("/usr/games"), Path("/usr/local/games"))
AUTO_ENGINE_NAMES = ("fairy-stockfish",)
BUILTIN = "builtin"
AUTO = "auto"


def find_engine(name_or_path: str) -> Path | None:
    """The executable named or pointed to by `name_or_path`, or None when there is none."""
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return candidate.resolve() if os.access(candidate, os.X_OK) else None
    if os.sep in name_or_path:
        return None  # an explicit path that does not exist: do not fall back to PATH
    found = shutil.which(name_or_path)
    if found is None:
        search_path = os.pathsep.join(str(directory) for directory in GAME_DIRS)
        found = shutil.which(name_or_path, path=search_path)
    return Path(found).resolve() if found else None


def resolve_engine(spec: str) -> Path | None:
    """Path of the USI engine to run, or None for the built-in player.

    `auto` picks the first engine of AUTO_ENGINE_NAMES that is installed, else builtin;
    any other value must name an executable, else ValueError.
    """
    if spec == BUILTIN:
        return None
    if spec == AUTO:
        for name in AUTO_ENGINE_NAMES:
            found = find_engine(name)
            if found is not None:
                return found
        return None
    found = find_engine(spec)
    if found is None:
        searched = ", ".join(["PATH", *(str(directory) for directory in GAME_DIRS)])
        raise ValueError(
            f"--engine: {spec!r} is not an executable file and was not found in {searched}"
        )
    return found
