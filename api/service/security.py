"""API keys (stored hashed, with scopes) and per-key rate limiting.

Key file / ``NICHEGRAPH_API_KEYS`` format
-----------------------------------------
One key per line (``;`` also separates entries in the environment variable)::

    # name   hash                                      scopes
    app1     sha256$<64 hex digits>                    rankings,accounts
    admin    pbkdf2_sha256$600000$<salt hex>$<hex>     *

Only hashes are stored.  ``sha256$`` suits long random keys (as issued by
:func:`new_key`); ``pbkdf2_sha256$`` suits human-chosen secrets.  PBKDF2 is
checked once per presented key and the verdict cached (by the key's SHA-256;
right and wrong keys in separate caches, so a flood of wrong keys never evicts
a right one), so a repeated key costs one SHA-256 and one dict look-up.  A key
that is in neither cache is derived off the event loop, in a small bounded
thread pool, and only after the client address has a token left in its
failed-attempt bucket (:meth:`KeyRing.verify`): wrong keys cannot stall the
server, however many arrive at once.  Make a line with::

    python -m nichegraph.api.service.security new NAME SCOPES     # prints the key and the line
    python -m nichegraph.api.service.security hash KEY [--pbkdf2]

Scopes: ``rankings``, ``accounts``, ``communities``, ``brands``,
``organisations``, ``runs``, ``campaigns``, or ``*`` for all.  Clients send the
key as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import secrets
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
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
            raise KeyFileError(
                f"{where}: hash must be 'sha256$<64 hex>' or "
                "'pbkdf2_sha256$<iterations>$<salt hex>$<hex>' (never the key itself)"
            )
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


class KeyCheckRefused(Exception):
    """A key could not be checked now: too many failed attempts from the address, or too many checks queued.

    ``retry_after`` is the seconds to wait; ``status`` the HTTP status to answer (429 or 503).
    """

    def __init__(self, status: int, message: str, retry_after: float):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


#: What :meth:`KeyRing.cached` returns for a key it has not seen (``None`` means "seen, and wrong").
NOT_CACHED = object()


class KeyRing:
    """Looks up presented keys among the hashed ones (constant-time comparisons).

    Parameters
    ----------
    keys : list of ApiKey
        The configured keys (fixed for the life of the ring, which is what makes caching wrong keys safe).
    failures : RateLimiter, optional
        Per client address, a token per key derivation; a successful derivation gives the token back, so
        the bucket counts failed attempts.  Default: 10 at once, then 1 per second.
    threads : int
        Threads deriving PBKDF2 keys (the pool is bounded: derivations beyond it wait in a queue).
    max_queued : int
        Derivations allowed to wait for a thread; beyond it a check is refused (503) without work.
    cache_size : int
        Entries in each of the two verdict caches (right keys, wrong keys), least recently used evicted.
    """

    def __init__(
        self,
        keys: list[ApiKey],
        *,
        failures: RateLimiter | None = None,
        threads: int = 1,
        max_queued: int = 64,
        cache_size: int = 10_000,
    ):
        self.keys = keys
        self._sha = {k.hash[7:]: k for k in keys if k.hash.startswith("sha256$")}
        self._pbkdf2 = [k for k in keys if k.hash.startswith("pbkdf2_sha256$")]
        self._right: OrderedDict[str, ApiKey] = OrderedDict()
        self._wrong: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self.failures = failures if failures is not None else RateLimiter(1.0, 10)
        self.threads = threads
        self.max_queued = max_queued
        self.cache_size = cache_size
        self._pool: ThreadPoolExecutor | None = None
        self._queued = 0

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def cached(self, presented: str):
        """The key for ``presented`` if it can be told without a derivation (``None``: known wrong), else
        :data:`NOT_CACHED`.  Costs one SHA-256 and a dict look-up."""
        digest = sha256_hex(presented)
        hit = self._sha.get(digest)
        if hit is not None and hmac.compare_digest(hit.hash[7:], digest):
            return hit
        if not self._pbkdf2:
            return None
        with self._lock:
            if digest in self._right:
                self._right.move_to_end(digest)
                return self._right[digest]
            if digest in self._wrong:
                self._wrong.move_to_end(digest)
                return None
        return NOT_CACHED

    def derive(self, presented: str) -> ApiKey | None:
        """Check ``presented`` against every PBKDF2 key (slow by design) and cache the verdict."""
        found = None
        for k in self._pbkdf2:
            _, it, salt, want = k.hash.split("$")
            got = hashlib.pbkdf2_hmac("sha256", presented.encode(), bytes.fromhex(salt), int(it)).hex()
            if hmac.compare_digest(got, want):
                found = k
                break
        digest = sha256_hex(presented)
        with self._lock:
            cache: OrderedDict[str, ApiKey] | OrderedDict[str, None]
            if found is not None:
                self._right[digest] = found
                cache = self._right
            else:
                self._wrong[digest] = None
                cache = self._wrong
            while len(cache) > self.cache_size:
                cache.popitem(last=False)
        return found

    def lookup(self, presented: str) -> ApiKey | None:
        """The key ``presented`` names, or None (blocking: derives PBKDF2 on this thread when not cached)."""
        hit = self.cached(presented)
        return self.derive(presented) if hit is NOT_CACHED else hit

    async def verify(self, presented: str, client: str) -> ApiKey | None:
        """:meth:`lookup` for the event loop: never derives on it.

        Raises
        ------
        KeyCheckRefused
            429 when ``client`` has no failed-attempt token left, 503 when ``max_queued`` derivations
            already wait for a thread.
        """
        hit = self.cached(presented)
        if hit is not NOT_CACHED:
            return hit
        wait = self.failures.take(client)
        if wait > 0:
            raise KeyCheckRefused(429, "too many failed API key attempts from this address; retry later", wait)
        if self._queued >= self.max_queued:
            self.failures.give_back(client)
            raise KeyCheckRefused(503, "too many API key checks in progress; retry shortly", 1.0)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="nichegraph-key-check")
        self._queued += 1
        try:
            found = await asyncio.get_running_loop().run_in_executor(self._pool, self.derive, presented)
        finally:
            self._queued -= 1
        if found is not None:
            self.failures.give_back(client)
        return found

    def close(self) -> None:
        """Stop the derivation threads (queued checks are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class CursorSigner:
    """Signs pagination cursors so a client can only pass back one the server made.

    A signed cursor is ``TOKEN.MAC`` with ``MAC`` the first 128 bits of
    ``HMAC-SHA256(secret, endpoint || 0x00 || TOKEN)`` in URL-safe base64 (22 characters), where
    ``endpoint`` is the route's path template: a cursor of one list is refused by another.

    Parameters
    ----------
    secret : str, optional
        Shared by every worker process (``NICHEGRAPH_CURSOR_SECRET``) so that any of them accepts the
        others' cursors; a random per-process secret when omitted (cursors then die with the process).
    """

    MAC_CHARS = 22

    def __init__(self, secret: str | None = None):
        self._key = hashlib.sha256(secret.encode()).digest() if secret else secrets.token_bytes(32)

    def _mac(self, token: str, endpoint: str) -> str:
        mac = hmac.new(self._key, endpoint.encode() + b"\0" + token.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def sign(self, token: str, endpoint: str) -> str:
        return f"{token}.{self._mac(token, endpoint)}"

    def verify(self, cursor: str, endpoint: str) -> str | None:
        """The token inside ``cursor`` when its signature is this server's for ``endpoint``, else None."""
        token, dot, mac = cursor.rpartition(".")
        if not dot or not token or len(mac) != self.MAC_CHARS:
            return None
        return token if hmac.compare_digest(mac, self._mac(token, endpoint)) else None


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

    def give_back(self, client: str) -> None:
        """Return the token ``take`` took (the attempt did not count), up to the burst."""
        if not self.enabled:
            return
        with self._lock:
            b = self._buckets.get(client)
            if b is not None:
                b[0] = min(self.burst, b[0] + 1.0)


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
