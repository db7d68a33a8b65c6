"""The request pipeline every call of the SDK goes through: encode, send through the one
httpx.AsyncClient, retry by policy, read the envelope, decode, raise the public error."""

from callsavvy_async._pipeline._request import Pipeline, encode_json
from callsavvy_async._pipeline._retry import RetryPolicy

__all__ = ["Pipeline", "RetryPolicy", "encode_json"]
