"""Store locations: validate Neo4j URIs and keep the credentials in them out of every message.

A Neo4j URI may carry a user and password (``bolt://user:secret@host:7687``).  :func:`parse_neo4j_uri`
takes them out, so the URI the store keeps (``store.location``: messages, logs, ``info``, reports,
run records) never holds a password and the driver gets them as its auth instead.  :func:`redact`
masks the password of any URI inside a text, for messages built from user input before parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import StoreLocationError

NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

# scheme://user:password@  ->  scheme://user:***@   (the password may hold anything but '@', '/' and spaces)
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]*):(?P<secret>[^/@\s]*)@")


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` URI replaced by ``***``."""
    return _USERINFO.sub(lambda m: f"{m.group('head')}:***@", str(text))


@dataclass(frozen=True)
class Neo4jLocation:
    """A validated Neo4j URI without credentials, and the credentials it carried.

    Attributes
    ----------
    uri : str
        ``scheme://host[:port][?routing context]``, safe to show.
    user, password : str or None
        From the URI's ``user:password@`` part (percent-decoded), None when absent.
    """

    uri: str
    user: str | None = None
    password: str | None = None


def parse_neo4j_uri(location: str) -> Neo4jLocation:
    """Validate a Neo4j URI and split off its credentials.

    Raises
    ------
    StoreLocationError
        Unknown scheme, no host (``bolt://`` would silently mean localhost), a port that is not a
        number in 1..65535, a path, or a fragment.  The message never shows the password.
    """
    shown = redact(location)
    try:
        parts = urlsplit(location)
        port = parts.port
    except ValueError as exc:
        reason = (
            "port out of range 1..65535"
            if "out of range" in str(exc)
            else "the port is not a number"
            if "port" in str(exc).lower()
            else str(exc)
        )
        raise StoreLocationError(f"--store {shown}: malformed Neo4j URI: {reason}") from None
    if parts.scheme.lower() not in NEO4J_SCHEMES:
        raise StoreLocationError(
            f"--store {shown}: unsupported scheme {parts.scheme!r}; use one of "
            f"{', '.join(s + '://' for s in NEO4J_SCHEMES)}"
        )
    if not parts.hostname:
        raise StoreLocationError(f"--store {shown}: the URI names no host; write e.g. {parts.scheme}://localhost:7687")
    if (port is not None and not 1 <= port <= 65535) or parts.netloc.endswith(":"):
        raise StoreLocationError(f"--store {shown}: port out of range 1..65535")
    if parts.path not in ("", "/") or parts.fragment:
        raise StoreLocationError(
            f"--store {shown}: a Neo4j URI has no path or #fragment; pick the database with NICHEGRAPH_NEO4J_DATABASE"
        )
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{port}" if port is not None else "")
    clean = urlunsplit((parts.scheme, netloc, "", parts.query, ""))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return Neo4jLocation(clean, user, password)
