"""The ``zonecut`` command's import boundaries: ``zonecut extract`` is a client of the API,
and the command starts without loading the server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
WATCHED = ("api", "sqlalchemy", "fastapi", "uvicorn", "PIL", "numpy")


def loaded_by(statement: str) -> list[str]:
    """The modules of Zonecut and of the server's heavy libraries that ``statement`` loads,
    in a fresh interpreter."""
    probe = (
        f"import json, sys\n{statement}\n"
        f"print(json.dumps(sorted(name for name in sys.modules "
        f"if name.split('.')[0] in {WATCHED!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_the_extract_client_imports_nothing_of_the_server() -> None:
    loaded = loaded_by("import api.cli.extract.run")
    parents = ("api", "api.cli")  # the packages it sits in, loaded first
    assert all(name in parents or name.startswith("api.cli.extract") for name in loaded), loaded


def test_the_command_starts_without_the_server() -> None:
    loaded = loaded_by("import api.cli.main")
    assert all(name == "api" or name.startswith("api.cli") for name in loaded), loaded
