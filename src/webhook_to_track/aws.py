"""One boto3 session per container for every AWS client the functions build.

A session loads each service's model once; clients built from it share that work. Each client
is still built lazily, after tests have started moto, and with a short timeout config.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import boto3


@lru_cache(maxsize=1)
def session() -> boto3.session.Session:
    import boto3

    return boto3.session.Session()
