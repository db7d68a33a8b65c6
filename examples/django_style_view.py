"""A Django-style view that texts a one-time code, using the sync client `Callsavvy`.

    export CALLSAVVY_PUBLIC_KEY=... CALLSAVVY_PRIVATE_KEY=...
    python examples/django_style_view.py +447700900001 +447700900002

One `Callsavvy` per process, made at import (in Django: a module like this one, or
`AppConfig.ready`), shared by every request thread: each call runs on the client's own
event loop and connection pool. In Django, `send_code` would take an `HttpRequest` and
return `JsonResponse(body, status=status)`; here a request is a plain dict.
"""

from __future__ import annotations

import json
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from callsavvy_async import APIError, Callsavvy, InvalidRequestError, OutcomeUnknownError

callsavvy = Callsavvy()  # keys and base URL from CALLSAVVY_* variables


def send_code(request: dict[str, Any]) -> tuple[int, dict[str, str | None]]:
    """POST {"phone": ...}: text a one-time code and keep it in the session."""
    if request["method"] != "POST":
        return 405, {"error": "POST only"}
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        result = callsavvy.sms.send(request["POST"].get("phone", ""), f"Your code is {code}")
    except InvalidRequestError as exc:  # a malformed number: nothing was sent
        return 400, {"error": str(exc)}
    except OutcomeUnknownError:  # it may have gone out: let the user ask again, not us
        return 202, {"status": "unknown"}
    except APIError as exc:
        return 502, {"error": exc.message}
    request["session"]["code"] = code
    return 200, {"status": result.status}


def main(phones: list[str]) -> int:
    requests = [{"method": "POST", "POST": {"phone": phone}, "session": {}} for phone in phones]
    with callsavvy, ThreadPoolExecutor(max_workers=4) as threads:  # as a WSGI server would
        for phone, (status, body) in zip(phones, threads.map(send_code, requests), strict=True):
            print(json.dumps({"phone": phone, "status": status, "answer": body}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
