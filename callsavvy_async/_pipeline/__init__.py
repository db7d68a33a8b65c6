"""The request pipeline every call of the SDK goes through: encode, send through the one
httpx.AsyncClient, retry by policy, read the envelope, decode, raise the public error."""

from callsavvy_async._pipeline._decode import Decode
from callsavvy_async._pipeline._http import build_http_client
from callsavvy_async._pipeline._options import RequestOptions, as_timeout, check_headers
from callsavvy_async._pipeline._raw import RawResponse
from callsavvy_async._pipeline._request import Pipeline, encode_json
from callsavvy_async._pipeline._retry import RetryPolicy

__all__ = [
    "Decode",
    "Pipeline",
    "RawResponse",
    "RequestOptions",
    "RetryPolicy",
    "as_timeout",
    "build_http_client",
    "check_headers",
    "encode_json",
]
