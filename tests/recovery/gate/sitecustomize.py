"""Loaded by the `zonecut serve` processes of tests/recovery/test_drain.py (on PYTHONPATH):
a crop written into the folder ``gated`` waits for the test, so an extraction is in flight
for as long as the test wants. ``ZONECUT_TEST_GATE`` is the folder of the two signals:
``entered`` (made by the server when a gated write begins) and ``release`` (made by the test).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

GATE = os.environ.get("ZONECUT_TEST_GATE")

if GATE:
    from api.storage.local import LocalStorage

    _put_exact = LocalStorage.put_exact

    def _gated_put_exact(self: LocalStorage, path: str, data: bytes):  # type: ignore[no-untyped-def]
        if path.startswith("gated/"):
            gate = Path(GATE)
            (gate / "entered").touch()
            while not (gate / "release").exists():
                time.sleep(0.05)
        return _put_exact(self, path, data)

    LocalStorage.put_exact = _gated_put_exact  # type: ignore[method-assign]
