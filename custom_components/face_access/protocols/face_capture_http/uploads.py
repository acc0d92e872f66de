"""The Huaan terminal's upload check (`UploadCheckClient`): whether `upload_info` points here.

Pure: the client reads the app parameters and hands their `upload_info` object over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import model
from ..wire import integer, text


def normalise_path(path: str) -> str:
    """Return a URL path without its trailing slash, so `/x/` and `/x` are one path."""
    return path.rstrip("/") or "/"


def upload_problems(
    upload: Mapping[str, Any], address: tuple[str, int] | None, path: str
) -> list[model.UploadProblem]:
    """Compare `upload_info` with where records must go; one problem per wrong field.

    `address` is the (host, port) records must be sent to (None: not known, not checked),
    `path` the normalised path they must be posted to. `upload` is the `upload_info`
    object of the app parameters (`request app params`); its `method` must be "http".
    """
    method = text(upload.get("method"))
    if method != "http":
        return [model.UploadProblem(setting="upload_info.method", current=method, needed="http")]
    problems: list[model.UploadProblem] = []
    if address is not None:
        host, port = address
        server_ip = text(upload.get("server_ip"))
        server = server_ip or text(upload.get("server_domain"))
        if server is None or server.casefold() != host.casefold():
            problems.append(
                model.UploadProblem(
                    setting="upload_info.server_ip" if server_ip else "upload_info.server_domain",
                    current=server,
                    needed=host,
                )
            )
        current_port = integer(upload.get("server_port"))
        if current_port != port:
            problems.append(
                model.UploadProblem(
                    setting="upload_info.server_port",
                    current=None if current_port is None else str(current_port),
                    needed=str(port),
                )
            )
    service_url = text(upload.get("service_url"))
    # The device puts a "/" before a path without one (its example is "face.php", L1898).
    if service_url is None or normalise_path("/" + service_url.lstrip("/")) != path:
        problems.append(
            model.UploadProblem(setting="upload_info.service_url", current=service_url, needed=path)
        )
    return problems
