"""A deterministic generator of realistic synthetic social worlds, for tests and scale.

:func:`generate` plants a world with known structure and returns it as compact
numpy arrays (a :class:`World`); :meth:`World.batches` streams it as canonical
:class:`~graph_store.schema.TableBatch` es and :func:`write_world` writes CSV
(optionally gzipped) or Parquet files that ``nichegraph load`` reads.

The planted world
-----------------
* **Accounts** on platform ``"synth"`` with decimal string ids (a random
  permutation of ``0 .. n-1``), handles such as ``lunafox_123`` (a few with
  non-ASCII letters), heavy-tailed platform follower counts spanning the four
  tiers nano (< 10k), micro (10k-100k), macro (100k-1M) and mega (>= 1M).
* **Niches**: every ordinary account (a *member*) belongs to exactly one niche;
  niche sizes follow a truncated power law (exponent ``niche_exponent``, from
  ``min_niche`` to ``max_niche`` members).  Niches are grouped into **broad
  communities** whose sizes (in niches) are heavy-tailed too.  About 4 % of the
  members are micro-tier niche leaders, the rest are nano.
* **Hubs**: macro accounts, each attached to one broad community (a topic
  celebrity), and mega accounts (global).  Hubs belong to no niche.
* **Follows** (unique ``follower -> followee`` pairs, no self-loops): mostly
  inside a niche towards its popular members, reciprocated with probability
  ``p_mutual``; one-way follows towards hubs (mega: global; macro: mostly from
  their broad community); a few follows across niches of one broad community;
  a little uniform noise.
* **Interactions** (events with a timestamp in ``year``; every event has a
  unique ``post_id`` and weight 1):

  - conversations inside a niche between mutual followers: A mentions (or
    quotes, or replies to) B, B replies within hours, and the thread may go
    on; some mentions stay unanswered;
  - one-way attention towards hubs (reposts, mentions, quotes), rarely
    answered;
  - amplification of niche leaders (reposts and quotes inside a niche);
  - brand talk: employees and members of "brand-aware" niches mention the
    **brand** account (handle ``"brand"``, affiliation ``"Acme Corp"``) and use
    its hashtag ``acme``;
  - a little uniform noise.

  Niche talk carries the niche's hashtag (and sometimes its broad community's).
* **Employees**: about 0.5 % of the members carry the affiliation
  ``"Acme Corp"`` (a few others work for decoy companies); they follow and
  mention the brand.

The planted ground truth (niche and broad community per account, and its role)
is *not* part of the canonical accounts table; :meth:`World.truth_table` gives
it, and :func:`write_world` writes it as a separate ``truth`` file.

Determinism: one :class:`numpy.random.Generator` made from ``seed`` is passed
down through every step, so the same arguments give byte-identical arrays and
files (on the same numpy version).  Everything is vectorised numpy: about
1M accounts and 20M edges fit in a few GB and take tens of seconds.

Opt-in: ``generate(..., bought=N, pods=M)`` adds bought-follower audiences and engagement
pods with their truth (:mod:`.inauthentic`, :attr:`World.inauthentic`).

Modules: :mod:`.generate` (the steps of :func:`generate`), :mod:`.inauthentic` (planted bought
audiences and pods), :mod:`.layout` (niches,
communities, hubs and sampling by them), :mod:`.events` (the interactions),
:mod:`.world` (the :class:`World` arrays and their tables), :mod:`.files`
(:func:`write_world`).
"""

from .files import FileFormat, write_world
from .generate import generate
from .inauthentic import Inauthentic, PlantSpec
from .world import (
    AFFILIATIONS,
    BRAND_AFFILIATION,
    BRAND_HANDLE,
    BRAND_HASHTAG,
    MIN_ACCOUNTS,
    PLATFORM,
    ROLE_BRAND,
    ROLE_FAKE,
    ROLE_HUB,
    ROLE_MEMBER,
    ROLES,
    World,
)

__all__ = [
    "AFFILIATIONS",
    "BRAND_AFFILIATION",
    "BRAND_HANDLE",
    "BRAND_HASHTAG",
    "MIN_ACCOUNTS",
    "PLATFORM",
    "ROLES",
    "ROLE_BRAND",
    "ROLE_FAKE",
    "ROLE_HUB",
    "ROLE_MEMBER",
    "FileFormat",
    "Inauthentic",
    "PlantSpec",
    "World",
    "generate",
    "write_world",
]
