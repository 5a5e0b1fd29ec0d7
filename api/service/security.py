"""API keys (stored hashed, with scopes) and per-key rate limiting.

Key file / ``NICHEGRAPH_API_KEYS`` format
-----------------------------------------
One key per line (``;`` also separates entries in the environment variable)::

    # name   hash                                      scopes
    app1     sha256$<64 hex digits>                    rankings,accounts
    admin    pbkdf2_sha256$600000$<salt hex>$<hex>     *

Only hashes are stored.  ``sha256$`` suits long random keys (as issued by
:func:`new_key`); ``pbkdf2_sha256$`` suits human-chosen secrets.  PBKDF2 is
checked once per presented key and the verdict cached (by the key's SHA-256),
so a request costs one SHA-256 and one dict look-up.  Make a line with::

    python -m nichegraph.api.service.security new NAME SCOPES     # prints the key and the line
    python -m nichegraph.api.service.security hash KEY [--pbkdf2]

Scopes: ``rankings``, ``accounts``, ``communities``, ``brands``,
``organisations``, ``runs``, ``campaigns``, or ``*`` for all.  Clients send the
key as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

SCOPES = ("rankings", "accounts", "communities", "brands", "organisations", "runs", "campaigns")
PBKDF2_ITERATIONS = 600_000


class KeyFileError(ValueError):
    """A key file or variable line is malformed (message names the source and line)."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    hash: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes


def sha256_hex(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def hash_key(key: str, *, pbkdf2: bool = False, iterations: int = PBKDF2_ITERATIONS) -> str:
    """The stored form of ``key``: ``sha256$hex`` or ``pbkdf2_sha256$iterations$salt$hex``."""
    if not pbkdf2:
        return f"sha256${sha256_hex(key)}"
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", key.encode(), bytes.fromhex(salt), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def new_key() -> str:
    """A fresh random API key (256 bits, URL-safe)."""
    return "ng_" + secrets.token_urlsafe(32)


def parse_keys(text: str, source: str, *, sep: str = "\n") -> list[ApiKey]:
    """Parse key entries; raise :class:`KeyFileError` naming ``source`` and the line."""
    keys: list[ApiKey] = []
    names: set[str] = set()
    for lineno, line in enumerate(text.split(sep), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        where = f"{source}:{lineno}"
        if len(parts) != 3:
            raise KeyFileError(f"{where}: expected 'NAME HASH SCOPES', got {len(parts)} fields")
        name, hashed, scopes_text = parts
        if name in names:
            raise KeyFileError(f"{where}: key name {name!r} appears twice")
        scopes = frozenset(s for s in scopes_text.split(",") if s)
        bad = scopes - set(SCOPES) - {"*"}
        if bad or not scopes:
            raise KeyFileError(f"{where}: unknown scopes {sorted(bad)}; use {', '.join(SCOPES)} or *")
        kind = hashed.split("$", 1)[0]
        if kind == "sha256":
            ok = len(hashed) == 7 + 64 and all(c in "0123456789abcdef" for c in hashed[7:])
        elif kind == "pbkdf2_sha256":
            p = hashed.split("$")
            ok = len(p) == 4 and p[1].isdigit() and int(p[1]) > 0
            try:
                bytes.fromhex(p[2]), bytes.fromhex(p[3])
            except (ValueError, IndexError):
                ok = False
        else:
            ok = False
        if not ok:
            raise KeyFileError(f"{where}: hash must be 'sha256$<64 hex>' or "
                               "'pbkdf2_sha256$<iterations>$<salt hex>$<hex>' (never the key itself)")
        names.add(name)
        keys.append(ApiKey(name, hashed, scopes))
    return keys


def load_keys(path: str | None, inline: str | None) -> list[ApiKey]:
    keys: list[ApiKey] = []
    if path:
        p = Path(path)
        if not p.is_file():
            raise KeyFileError(f"API key file {path} does not exist")
        keys += parse_keys(p.read_text(), str(path))
    if inline:
        keys += parse_keys(inline, "NICHEGRAPH_API_KEYS", sep=";")
    names = [k.name for k in keys]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise KeyFileError(f"API key names {sorted(dup)} appear in both the file and NICHEGRAPH_API_KEYS")
    return keys


class KeyRing:
    """Looks up presented keys among the hashed ones (constant-time comparisons)."""

    def __init__(self, keys: list[ApiKey]):
        self.keys = keys
        self._sha = {k.hash[7:]: k for k in keys if k.hash.startswith("sha256$")}
        self._pbkdf2 = [k for k in keys if k.hash.startswith("pbkdf2_sha256$")]
        self._verified: OrderedDict[str, ApiKey | None] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def lookup(self, presented: str) -> ApiKey | None:
        digest = sha256_hex(presented)
        hit = self._sha.get(digest)
        if hit is not None and hmac.compare_digest(hit.hash[7:], digest):
            return hit
        if not self._pbkdf2:
            return None
        with self._lock:
            if digest in self._verified:
                self._verified.move_to_end(digest)
                return self._verified[digest]
        found = None
        for k in self._pbkdf2:
            _, it, salt, want = k.hash.split("$")
            got = hashlib.pbkdf2_hmac("sha256", presented.encode(), bytes.fromhex(salt), int(it)).hex()
            if hmac.compare_digest(got, want):
                found = k
                break
        with self._lock:
            self._verified[digest] = found
            while len(self._verified) > 10_000:
                self._verified.popitem(last=False)
        return found


class RateLimiter:
    """Token buckets per client: ``rate`` tokens per second, at most ``burst`` saved.

    ``take(client)`` returns 0.0 when a request may go ahead, otherwise the
    seconds to wait before the next token (for ``Retry-After``).
    """

    def __init__(self, rate: float, burst: int, *, clock=time.monotonic, max_clients: int = 100_000):
        self.rate = float(rate)
        self.burst = float(burst)
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, client: str) -> float:
        if not self.enabled:
            return 0.0
        now = self.clock()
        with self._lock:
            b = self._buckets.get(client)
            if b is None:
                b = [self.burst, now]
                self._buckets[client] = b
                if len(self._buckets) > self.max_clients:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(client)
                b[0] = min(self.burst, b[0] + (now - b[1]) * self.rate)
                b[1] = now
            if b[0] >= 1.0:
                b[0] -= 1.0
                return 0.0
            return (1.0 - b[0]) / self.rate


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


def _main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "new":
        key = new_key()
        print(f"key:  {key}", file=sys.stderr)
        print(f"{argv[1]} {hash_key(key)} {argv[2]}")
        return 0
    if len(argv) >= 2 and argv[0] == "hash":
        print(hash_key(argv[1], pbkdf2="--pbkdf2" in argv[2:]))
        return 0
    print("usage: python -m nichegraph.api.service.security new NAME SCOPES | hash KEY [--pbkdf2]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
