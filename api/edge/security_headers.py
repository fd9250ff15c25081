"""The headers every answer carries (DESIGN "Limits before trust"): ``nosniff``,
``same-origin`` as a referrer, and for anything that is no page (JSON, problems, files) a
Content-Security-Policy under which nothing may run or load."""

from __future__ import annotations

COMMON_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
