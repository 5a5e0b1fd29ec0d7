"""Planted inauthentic audiences: bought followers and engagement pods, with their ground truth.

Opt-in (``generate(..., bought=N, pods=M)``); a world planted without them is
byte-identical to one generated before this module existed, because every draw
here comes after the organic world's draws.

* **Bought followers.**  ``bought`` member accounts (the *buyers*) each receive a
  batch of fresh fake accounts, appended after the organic accounts.  Every
  fake follows its buyer and a handful of big accounts (hubs, and now and
  half the time any organic account: fakes pad their following with celebrities), all within
  one short window (a delivery: ``window_s``, default one day), and follows
  three fakes of its batch that follow it back (farms keep their accounts
  looking connected).  Its platform counts are those of a mass-follower:
  following ``following_range`` (far more than the follows the data set
  shows), followers about what the farm gives it.  A buyer follows back a fake
  with probability ``p_follow_back`` (the few attack edges SybilRank expects).
* **Pods.**  ``pods`` groups of ``pod_size`` members of one niche (buyers
  excluded) follow each other; every member posts ``pod_posts_range`` times
  in the year (in turn) and every other member answers each post within
  ``reply_within_s`` seconds (replies).

:class:`Inauthentic` holds the truth: buyers, fakes (and the buyer of each),
pod members (and their pod).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import T0, YEAR

DAY_S = 86_400


@dataclass(frozen=True)
class Inauthentic:
    """Ground truth of the planted inauthentic audiences (internal account numbers).

    ``buyers`` int64 (b,) sorted; ``fakes`` int64 (f,) sorted, ``fake_buyer`` int64 (f,) the buyer
    each fake was delivered to; ``pod_members`` int64 (p,), ``pod_id`` int32 (p,).
    """

    buyers: np.ndarray
    fakes: np.ndarray
    fake_buyer: np.ndarray
    pod_members: np.ndarray
    pod_id: np.ndarray

    def labels(self, n: int) -> np.ndarray:
        """Planted label per account, object (n,): ``"buyer"``, ``"fake"``, ``"pod"`` or None."""
        out = np.full(n, None, dtype=object)
        out[self.buyers] = "buyer"
        out[self.fakes] = "fake"
        out[self.pod_members] = "pod"
        return out


@dataclass(frozen=True)
class PlantSpec:
    """How many and how big (see the module docstring)."""

    bought: int = 0
    pods: int = 0
    batch_range: tuple[int, int] = (100, 400)
    fake_follows_range: tuple[int, int] = (5, 30)
    following_range: tuple[int, int] = (1_000, 6_000)
    window_s: int = DAY_S
    p_follow_back: float = 0.02
    pod_size_range: tuple[int, int] = (4, 8)
    pod_posts_range: tuple[int, int] = (4, 12)
    reply_within_s: int = 600


@dataclass(frozen=True)
class Planted:
    """What :func:`plant` adds: new accounts' counts, follows and interaction events, and the truth."""

    n_new: int
    followers: np.ndarray  # int64 (n_new,): platform counts of the new accounts
    following: np.ndarray
    extra_followers: np.ndarray  # int64 (n_old,): added to the organic accounts' platform followers
    follow_src: np.ndarray
    follow_dst: np.ndarray
    follow_since: np.ndarray
    event_src: np.ndarray
    event_dst: np.ndarray
    event_ts: np.ndarray
    truth: Inauthentic


def _between(rng: np.random.Generator, lo_hi: tuple[int, int], size=None):
    return rng.integers(lo_hi[0], lo_hi[1] + 1, size)


def plant(
    rng: np.random.Generator, n_old: int, members: np.ndarray, hubs: np.ndarray, niche: np.ndarray, spec: PlantSpec
) -> Planted:
    """Draw the bought audiences and pods of ``spec`` (fakes numbered from ``n_old``).

    ``members`` are the organic member accounts (candidates for buyers and pods), ``hubs`` the
    big accounts fakes pad their following with, ``niche`` the niche of every organic account (pods
    are drawn inside one niche).
    """
    if spec.bought < 0 or spec.pods < 0:
        raise ValueError(f"bought={spec.bought} and pods={spec.pods} must be >= 0")
    if spec.bought + spec.pods * spec.pod_size_range[1] > members.size:
        raise ValueError(f"bought={spec.bought} and pods={spec.pods} need more member accounts than {members.size}")
    perm = rng.permutation(members)
    buyers = np.sort(perm[: spec.bought])
    rest = perm[spec.bought :]
    fs: list[np.ndarray] = []
    fd: list[np.ndarray] = []
    ft: list[np.ndarray] = []
    fake_buyer_parts = []
    next_id = n_old
    for b in buyers:
        size = int(_between(rng, spec.batch_range))
        fakes = np.arange(next_id, next_id + size, dtype=np.int64)
        next_id += size
        fake_buyer_parts.append(np.full(size, b, dtype=np.int64))
        start = int(rng.integers(T0 - 3 * YEAR, T0 + YEAR - spec.window_s))
        # fake -> buyer
        src, dst = [fakes], [np.full(size, b, dtype=np.int64)]
        # fake -> hubs, one in ten any organic account (repeats are deduplicated later)
        k = _between(rng, spec.fake_follows_range, size)
        total = int(k.sum())
        anyone = rng.random(total) < 0.1 if hubs.size else np.ones(total, dtype=bool)
        padding = hubs[rng.integers(0, max(hubs.size, 1), total)] if hubs.size else np.zeros(total, np.int64)
        src.append(np.repeat(fakes, k))
        dst.append(np.where(anyone, rng.integers(0, n_old, total), padding))
        # farm ring: each fake follows the next three of its batch, and they follow back
        if size > 1:
            for step in range(1, min(3, size - 1) + 1):
                nxt = fakes[(np.arange(size) + step) % size]
                src += [fakes, nxt]
                dst += [nxt, fakes]
        back = fakes[rng.random(size) < spec.p_follow_back]
        src.append(np.full(back.size, b, dtype=np.int64))
        dst.append(back)
        s, d = np.concatenate(src), np.concatenate(dst)
        fs.append(s)
        fd.append(d)
        ft.append(start + rng.integers(0, spec.window_s, s.size))
    n_new = next_id - n_old
    fake_ids = np.arange(n_old, next_id, dtype=np.int64)
    fake_buyer = np.concatenate(fake_buyer_parts) if fake_buyer_parts else np.zeros(0, np.int64)

    pod_members, pod_ids = [], []
    es, ed, et = [], [], []
    used = np.zeros(n_old, dtype=bool)
    used[buyers] = True
    pod = 0
    tries = 0
    while pod < spec.pods and tries < 50 * max(spec.pods, 1):
        tries += 1
        seed_member = int(rest[rng.integers(rest.size)])
        size = int(_between(rng, spec.pod_size_range))
        pool = rest[(niche[rest] == niche[seed_member]) & ~used[rest]]
        if pool.size < size:
            continue
        group = np.sort(rng.choice(pool, size=size, replace=False))
        used[group] = True
        pod_members.append(group)
        pod_ids.append(np.full(size, pod, dtype=np.int32))
        a, c = np.meshgrid(group, group, indexing="ij")
        off = a != c
        fs.append(a[off])
        fd.append(c[off])
        ft.append(rng.integers(T0 - 3 * YEAR, T0 + YEAR, int(off.sum())))
        rounds = size * int(_between(rng, spec.pod_posts_range))
        for r in range(rounds):
            poster = group[r % size]
            t = int(rng.integers(T0, T0 + YEAR - spec.reply_within_s))
            others = group[group != poster]
            es.append(others)
            ed.append(np.full(others.size, poster, dtype=np.int64))
            et.append(t + rng.integers(10, spec.reply_within_s, others.size))
        pod += 1
    if pod < spec.pods:
        raise ValueError(f"could not place {spec.pods} pods of {spec.pod_size_range} members inside niches")

    def cat(parts, dtype) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    f_src, f_dst, f_since = cat(fs, np.int64), cat(fd, np.int64), cat(ft, np.int64)
    observed_in = np.bincount(f_dst, minlength=next_id)
    followers_new = observed_in[n_old:] + rng.integers(0, 6, n_new)
    following_new = _between(rng, spec.following_range, n_new)
    extra = np.zeros(n_old, dtype=np.int64)
    np.add.at(extra, fake_buyer, 1)
    truth = Inauthentic(
        buyers.astype(np.int64), fake_ids, fake_buyer, cat(pod_members, np.int64), cat(pod_ids, np.int32)
    )
    return Planted(
        n_new,
        followers_new.astype(np.int64),
        following_new.astype(np.int64),
        extra,
        f_src,
        f_dst,
        f_since,
        cat(es, np.int64),
        cat(ed, np.int64),
        cat(et, np.int64),
        truth,
    )
