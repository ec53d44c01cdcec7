"""The ``web-download`` import method: fetch an image from a URL, streaming.

Which URLs may be fetched is the operator's choice (upstream's
``[import_filtering_opts]``): allowed schemes and ports, and disallowed hosts;
every redirect is checked the same way, so a redirect cannot reach a host the
first URL could not.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from onestack import __version__
from onestack.core.config import ImageConfig
from onestack.core.errors import BadRequest

CHUNK = 256 * 1024


def check_uri(uri: str, conf: ImageConfig) -> None:
    """Raise ``BadRequest`` unless ``uri`` passes the operator's filters."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise BadRequest("URI for web-download is not valid.") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host or scheme not in ("http", "https"):
        raise BadRequest("URI for web-download does not pass filtering: only http and https URLs with a host.")
    if conf.web_download_allowed_schemes and scheme not in conf.web_download_allowed_schemes:
        raise BadRequest(f"URI for web-download does not pass filtering: scheme {scheme} not allowed.")
    if port is None:
        port = 443 if scheme == "https" else 80
    if conf.web_download_allowed_ports and port not in conf.web_download_allowed_ports:
        raise BadRequest(f"URI for web-download does not pass filtering: port {port} not allowed.")
    if host in {h.lower() for h in conf.web_download_disallowed_hosts}:
        raise BadRequest(f"URI for web-download does not pass filtering: host {host} not allowed.")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, conf: ImageConfig) -> None:
        self.conf = conf

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        check_uri(newurl, self.conf)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(uri: str, conf: ImageConfig) -> Iterator[bytes]:
    """Yield the body of ``uri`` in chunks; raises on any HTTP or network error."""
    check_uri(uri, conf)
    opener = urllib.request.build_opener(_CheckedRedirects(conf))
    req = urllib.request.Request(uri, headers={"User-Agent": f"onestack-image/{__version__}"})
    with opener.open(req, timeout=conf.web_download_timeout) as resp:
        if resp.status >= 400:
            raise urllib.error.HTTPError(uri, resp.status, "download failed", resp.headers, None)
        while chunk := resp.read(CHUNK):
            yield chunk
