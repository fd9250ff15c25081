"""The report of ``--report``: one entry per file, CSV or JSON by the file's extension."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.cli.extract.cutter import Result, Status
from api.cli.extract.inputs import InputFile
from api.cli.extract.plan import UsageError

REPORT_FORMATS = {".csv": "csv", ".json": "json"}
REPORT_FIELDS = ("file", "status", "extraction_id", "crops", "reason")


def report_format(path: Path) -> str:
    """``csv`` or ``json`` by the report file's extension; :class:`UsageError` otherwise."""
    found = REPORT_FORMATS.get(path.suffix.lower())
    if found is None:
        raise UsageError(f"--report {path}: the report is .csv or .json, by its extension")
    return found


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    file: str
    status: Status
    extraction_id: str
    crops: int
    reason: str

    @classmethod
    def of(cls, file: InputFile, result: Result) -> Row:
        return cls(
            file.shown,
            result.status,
            " ".join(result.extraction_ids),
            result.crops,
            result.reason,
        )


def write_report(path: Path, rows: Sequence[Row]) -> None:
    """Write the report, CSV or JSON by the file's extension, one entry per file."""
    records: list[dict[str, Any]] = [
        {
            "file": row.file,
            "status": row.status,
            "extraction_id": row.extraction_id,
            "crops": row.crops,
            "reason": row.reason,
        }
        for row in rows
    ]
    if report_format(path) == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=REPORT_FIELDS)
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
    else:
        for record in records:
            record["extraction_id"] = record["extraction_id"] or None
            record["reason"] = record["reason"] or None
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.part")
    scratch.write_text(text, encoding="utf-8", newline="")
    os.replace(scratch, path)
