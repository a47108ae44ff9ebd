"""Keep the AWS SDK's own loggers at WARNING, whatever the function's log level.

At DEBUG botocore logs every request and response: the canonical request with the
``X-Amz-Security-Token`` session token (botocore.auth, botocore.endpoint), and the parsed
response body, which for Secrets Manager is the whole secrets document (botocore.parsers).
urllib3 logs the URLs it calls. None of that may reach CloudWatch.

Setting the families' levels is not enough on its own: Powertools'
``copy_config_to_registered_loggers(source_logger=logger)`` sets every top-level logger (botocore,
boto3, urllib3, ...) to the Logger's level, so POWERTOOLS_LOG_LEVEL=DEBUG lowers them again;
``boto3.set_stream_logger()`` and ``botocore.session.Session.set_debug_logger()`` set DEBUG;
so can any setLevel. A child logger such as botocore.parsers inherits the lowered level, and a
record is checked only against the filters of the logger that created it, not those of the
parents it propagates to. So every logger of the families, those that exist now and one per
module of the installed packages (created ahead of their import, as ``getLogger(__name__)`` will
return the same object), also gets a filter that drops records below the cap. Filters survive
copy_config_to_registered_loggers (it replaces handlers and propagation, not filters) and
logging.basicConfig (which only configures the root logger).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Final

SDK_FAMILIES: Final[tuple[str, ...]] = ("botocore", "boto3", "urllib3", "s3transfer")


class SdkLogCap(logging.Filter):
    """Drops records below ``level``: the guard that holds when a logger's level is lowered."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def cap_sdk_loggers(level: int = logging.WARNING) -> None:
    """Make the AWS SDK loggers (botocore, boto3, urllib3, s3transfer and all their children)
    drop every record below ``level``, even if their level is later lowered.

    Idempotent, and calling it again with another level moves the cap. Pure stdlib; imports
    nothing of the SDK (its modules are found on disk, not imported).
    """
    names = set(_registered(SDK_FAMILIES)) | set(_module_names(SDK_FAMILIES))
    for name in sorted(names):
        _cap(logging.getLogger(name), level)
    for family in SDK_FAMILIES:
        # The family's root decides for every child left at NOTSET.
        logging.getLogger(family).setLevel(level)


def _cap(logger: logging.Logger, level: int) -> None:
    for existing in [f for f in logger.filters if isinstance(f, SdkLogCap)]:
        logger.removeFilter(existing)
    logger.addFilter(SdkLogCap(level))
    if logger.level != logging.NOTSET and logger.level < level:
        logger.setLevel(level)  # a child set lower before the cap


def _in_families(name: str, families: Iterable[str]) -> bool:
    return any(name == family or name.startswith(family + ".") for family in families)


def _registered(families: tuple[str, ...]) -> Iterator[str]:
    """Loggers already created in the families (placeholders for not-yet-created parents are
    created too: a placeholder becomes a logger the moment someone asks for it)."""
    for name in list(logging.root.manager.loggerDict):
        if _in_families(name, families):
            yield name


def _module_names(families: tuple[str, ...]) -> Iterator[str]:
    """Every module of the installed packages, found on disk without importing them."""
    for family in families:
        try:
            spec = importlib.util.find_spec(family)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.submodule_search_locations is not None:
            for location in spec.submodule_search_locations:
                yield from _walk(family, location)


def _walk(package: str, directory: str) -> Iterator[str]:
    """``package.x`` for each x.py and each subpackage x/ (with __init__.py) in ``directory``."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(("__", ".")):
            continue  # __init__.py is the package itself; __pycache__
        if entry.name.endswith(".py") and entry.is_file():
            yield f"{package}.{entry.name[:-3]}"
        elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "__init__.py")):
            yield f"{package}.{entry.name}"
            yield from _walk(f"{package}.{entry.name}", entry.path)
