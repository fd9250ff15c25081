"""Crops written slowly, for the tests that catch an extraction in the middle of filing.

Imported at start-up by ``zonecut serve`` processes through a ``sitecustomize`` module
(see :func:`slow_writes_path`), or patched into this process with :func:`slow_down`.
Each crop is written at once, then its write takes ``seconds`` longer.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

SITECUSTOMIZE = """\
import os
if os.environ.get("ZONECUT_TEST_SLOW_WRITE_SECONDS"):
    from tests.recovery.slow_writes import slow_down
    slow_down(float(os.environ["ZONECUT_TEST_SLOW_WRITE_SECONDS"]))
"""


def slow_down(seconds: float) -> None:
    """Slow down the writes of both stores (local disk and S3) in this process."""
    from api.storage.local import LocalStorage
    from api.storage.s3 import S3Storage

    for store in (LocalStorage, S3Storage):
        store.put_exact = _slowed(store.put_exact, seconds)  # type: ignore[method-assign]


def _slowed(original: Any, seconds: float) -> Any:
    def put_exact(self: Any, path: str, data: bytes) -> Any:
        stored = original(self, path, data)
        time.sleep(seconds)
        return stored

    return put_exact


def slow_writes_env(folder: Path, seconds: float) -> dict[str, str]:
    """What to add to a server's environment so that its crops are written slowly."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    repository = Path(__file__).resolve().parents[2]
    path = os.pathsep.join(
        [str(folder), str(repository), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return {"PYTHONPATH": path, "ZONECUT_TEST_SLOW_WRITE_SECONDS": str(seconds)}
