"""HubSpot's signed URI: the public URL with HubSpot's partial percent-decoding applied."""

from __future__ import annotations

import re
from typing import Final

# HubSpot decodes exactly these escapes before signing (v3 "request validation" docs); every
# other escape, %20 and %25 included, stays as it is.
_DECODED: Final = {
    "3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$",
    "27": "'", "28": "(", "29": ")", "2A": "*", "2C": ",", "3B": ";",
}  # fmt: skip
_ESCAPE: Final = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)


def hubspot_uri(url: str) -> str:
    """The URI as HubSpot signs it (one pass, so ``%253A`` stays ``%253A``)."""
    return _ESCAPE.sub(lambda m: _DECODED[m.group(1).upper()], url)
