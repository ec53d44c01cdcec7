"""Small response helpers shared by the resource modules."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, separators=(",", ":")).encode(), status,
                    media_type="application/json; charset=utf-8")


def empty(status: int, headers: dict[str, str] | None = None,
          media_type: str = "text/html; charset=UTF-8") -> Response:
    h = {"Content-Length": "0", **(headers or {})}
    return Response(b"", status, headers=h, media_type=media_type)
