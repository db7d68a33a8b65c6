"""CALLSAVVY_LOG=debug|info: a stderr handler on the package's logger at that level.

Without the variable nothing is configured, as a library should; the application's own
logging setup decides. No log line carries a key or a message body.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["LOGGER_NAME", "setup_logging"]

LOGGER_NAME = "callsavvy_async"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def setup_logging() -> None:
    level = _LEVELS.get(os.environ.get("CALLSAVVY_LOG", "").strip().lower())
    if level is None:
        return
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
