"""RawResponse: an answer with its HTTP details, decoded only when asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, final

import httpx

__all__ = ["RawResponse"]

_T = TypeVar("_T")


@final
class RawResponse(Generic[_T]):
    """What `cs.with_raw_response.<resource>.<method>()` returns: the httpx.Response of a
    successful call, and `parse()` for the model the plain method would have returned."""

    __slots__ = ("_decode", "_parsed", "http_response")

    def __init__(self, http_response: httpx.Response, decode: Callable[[], _T]) -> None:
        self.http_response = http_response
        self._decode = decode
        self._parsed: Any = _NOT_PARSED

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    def parse(self) -> _T:
        """The model, decoded once (errors as the plain method raises them)."""
        if self._parsed is _NOT_PARSED:
            self._parsed = self._decode()
        parsed: _T = self._parsed
        return parsed

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] {self.http_response.url.path}>"


_NOT_PARSED: Any = object()
