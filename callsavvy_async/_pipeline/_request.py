"""The one request path: JSON body in, retry policy around httpx.AsyncClient.send, the
envelope's data decoded out, every failure turned into the public error for it."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import cattrs
import httpx

from callsavvy_async._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InvalidRequestError,
    OutcomeUnknownError,
    UnexpectedResponseError,
)
from callsavvy_async._pipeline import _retry
from callsavvy_async._pipeline._decode import Decode
from callsavvy_async._pipeline._options import as_timeout, check_headers, check_options
from callsavvy_async._pipeline._raw import RawResponse
from callsavvy_async._pipeline._response import read_envelope, redact
from callsavvy_async._pipeline._retry import RetryPolicy

__all__ = ["Pipeline", "encode_json"]

_T = TypeVar("_T")

logger = logging.getLogger("callsavvy_async")


class Pipeline:
    """POSTs to `base_url/<resource>` through `http_client`, with `headers` on every
    request, `timeout` unless a call gives its own, and the retry policy."""

    __slots__ = (
        "_secret",
        "_urls",
        "base_url",
        "headers",
        "http_client",
        "retry_policy",
        "timeout",
    )

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient,
        base_url: str,
        headers: Mapping[str, str],
        timeout: httpx.Timeout,
        retry_policy: RetryPolicy,
        secret: str,
    ) -> None:
        self.http_client = http_client
        self.base_url = base_url
        self.headers = dict(headers)
        self.timeout = timeout
        self.retry_policy = retry_policy
        self._secret = secret
        self._urls: dict[str, httpx.URL] = {}

    async def call(
        self,
        resource: str,
        body: Mapping[str, Any],
        decode: Decode[_T],
        *,
        write: bool,
        options: Mapping[str, Any] | None = None,
    ) -> _T:
        """POST `body` to `resource` and decode the envelope's data with `decode`."""
        _, data = await self.send(resource, body, write=write, options=options)
        return self._decode(resource, data, decode, write=write)

    async def call_raw(
        self,
        resource: str,
        body: Mapping[str, Any],
        decode: Decode[_T],
        *,
        write: bool,
        options: Mapping[str, Any] | None = None,
    ) -> RawResponse[_T]:
        """As `call`, returning the HTTP answer with the decoding left to `parse()`."""
        response, data = await self.send(resource, body, write=write, options=options)
        return RawResponse(response, lambda: self._decode(resource, data, decode, write=write))

    def _decode(self, resource: str, data: Any, decode: Decode[_T], *, write: bool) -> _T:
        try:
            return decode(data)
        except Exception as exc:
            if write:
                raise OutcomeUnknownError(
                    f"the server said success but its answer could not be read as "
                    f"{decode.name} ({_decode_problem(exc)}): the request was carried out; "
                    "check its result before sending again",
                    resource=resource,
                ) from exc
            raise UnexpectedResponseError(
                f"could not decode the answer as {decode.name}: {_decode_problem(exc)}",
                resource=resource,
                status_code=200,
                body=data,
            ) from exc

    def build(
        self, resource: str, body: Mapping[str, Any], options: Mapping[str, Any] | None
    ) -> httpx.Request:
        """The request for `body`, with this call's options applied."""
        headers: Mapping[str, str] | httpx.Headers = self.headers
        timeout = self.timeout
        if options:
            check_options(options)
            extra_headers = check_headers(options.get("extra_headers"), "extra_headers")
            if extra_headers:
                headers = httpx.Headers(self.headers)
                headers.update(extra_headers)
            extra_body = options.get("extra_body")
            if extra_body is not None:
                if not isinstance(extra_body, Mapping):
                    raise InvalidRequestError("extra_body must be a mapping of field names")
                body = {**body, **extra_body}
            if "timeout" in options:
                timeout = as_timeout(options["timeout"])
        return self.http_client.build_request(
            "POST", self._url(resource), content=encode_json(body), headers=headers, timeout=timeout
        )

    async def send(
        self,
        resource: str,
        body: Mapping[str, Any],
        *,
        write: bool,
        options: Mapping[str, Any] | None = None,
    ) -> tuple[httpx.Response, Any]:
        """Send one request with the retry policy; return the answer and its data."""
        request = self.build(resource, body, options)
        policy = self.retry_policy
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                response = await self.http_client.send(request)
            except httpx.RequestError as exc:
                if attempt < policy.max_retries and policy.should_retry_exception(exc, write=write):
                    await self._backoff(resource, attempt, type(exc).__name__)
                    attempt += 1
                    continue
                raise _transport_failure(resource, exc, write=write) from exc
            except Exception as exc:
                raise _client_failure(resource, exc, write=write) from exc
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s -> HTTP %s in %.3fs",
                    resource,
                    response.status_code,
                    time.perf_counter() - started,
                )
            try:
                return response, read_envelope(resource, response)
            except APIError as error:
                redact(error, self._secret)
                status = response.status_code
                if attempt < policy.max_retries and policy.should_retry_status(status, write=write):
                    await self._backoff(resource, attempt, f"HTTP {status}", error)
                    attempt += 1
                    continue
                if write and _may_have_been_processed(status, error):
                    raise OutcomeUnknownError(
                        f"HTTP {status} after the request was sent: it may have been "
                        "processed; check before sending again",
                        resource=resource,
                    ) from error
                raise

    def replace(self, **changes: Any) -> Pipeline:
        """A pipeline on the same HTTP client with some settings changed."""
        settings: dict[str, Any] = {
            "http_client": self.http_client,
            "base_url": self.base_url,
            "headers": self.headers,
            "timeout": self.timeout,
            "retry_policy": self.retry_policy,
            "secret": self._secret,
        }
        return Pipeline(**(settings | changes))

    def _url(self, resource: str) -> httpx.URL:
        url = self._urls.get(resource)
        if url is None:
            url = self._urls[resource] = httpx.URL(f"{self.base_url}/{resource}")
        return url

    async def _backoff(
        self, resource: str, attempt: int, cause: str, error: APIError | None = None
    ) -> None:
        delay = self.retry_policy.delay(attempt, getattr(error, "retry_after", None))
        logger.info("%s: retry %d after %s in %.2fs", resource, attempt + 1, cause, delay)
        await _retry.sleep(delay)


def encode_json(body: Mapping[str, Any]) -> bytes:
    """The request body as compact UTF-8 JSON, as httpx's `json=` would encode it."""
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode()
    except UnicodeEncodeError:
        raise InvalidRequestError(
            "text arguments must be valid Unicode (a lone surrogate?)"
        ) from None
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"an argument cannot be sent as JSON: {exc}") from None


def _transport_failure(
    resource: str, exc: httpx.RequestError, *, write: bool
) -> APIConnectionError:
    """The public error for a request that got no answer."""
    if isinstance(exc, _retry.NOT_SENT_ERRORS):
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(
                f"timed out before sending ({type(exc).__name__})", resource=resource
            )
        return APIConnectionError(f"could not connect ({type(exc).__name__})", resource=resource)
    if write:
        return OutcomeUnknownError(
            f"no answer after the request was sent ({type(exc).__name__}): it may have been "
            "processed; check before sending again",
            resource=resource,
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"no answer in time ({type(exc).__name__})", resource=resource)
    return APIConnectionError(f"connection failed ({type(exc).__name__})", resource=resource)


def _client_failure(resource: str, exc: Exception, *, write: bool) -> APIConnectionError:
    """The public error for something else the HTTP client raised (a user's event hook,
    say): a write may have gone out by then, so it is never sent again."""
    if write:
        return OutcomeUnknownError(
            f"the HTTP client failed after the request may have been sent "
            f"({type(exc).__name__}): check before sending again",
            resource=resource,
        )
    return APIConnectionError(f"the HTTP client failed ({type(exc).__name__})", resource=resource)


def _may_have_been_processed(status: int, error: APIError) -> bool:
    """Whether a write that got this answer may nonetheless have been carried out."""
    unreadable_success = status < 300 and isinstance(error, UnexpectedResponseError)
    return status >= 500 or status == 408 or unreadable_success


def _decode_problem(exc: Exception) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc))
    return str(exc)
