"""The default transport under the client's httpx.AsyncClient: an O(1) connection pool."""

from callsavvy_async._transport._pool import DEFAULT_LIMITS, PoolTransport

__all__ = ["DEFAULT_LIMITS", "PoolTransport"]
