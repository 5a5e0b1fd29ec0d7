r"""Engagement pods: small groups that answer each other fast and densely.

In a pod (Weerasinghe et al. 2020) every member engages with every other
member's posts within minutes of posting, again and again.  From timestamped
interaction events only:

1. **Co-threads.**  The events towards one account are cut into threads: a
   thread starts at the first event not yet in one and holds every event that
   arrives within :math:`W` of its start (default 10 minutes).  A thread with at
   least :math:`g` distinct sources (default 3) is a *co-thread*: several
   accounts answered the same moment.
2. **Pod ties.**  :math:`c_{uv}` counts the events :math:`u \to v` inside
   co-threads of :math:`v`.  :math:`u` and :math:`v` have a pod tie when
   :math:`c_{uv} \ge r` *and* :math:`c_{vu} \ge r` (default :math:`r = 3`): each
   repeatedly joins the other's fast crowd.  Fans of a big account join its
   crowds, but the big account does not join theirs, so fandom makes no tie.
3. **Density.**  On the pod-tie graph, an account with :math:`d_v \ge 2` pod
   ties has density :math:`\rho_v = 2 t_v / (d_v (d_v - 1))` (:math:`t_v`
   triangles through it: a pod is a clique); 0 otherwise.
4. **Share.**  ``pod_events`` counts the events :math:`u \to v` in co-threads
   of :math:`v` from pod-tie partners :math:`u`; out of ``crowd_events`` (all
   events in co-threads of :math:`v`) it is the share of the fast crowds
   answering the account that its pod supplied (shrunk by the caller).
   ``inbound`` counts all timed inbound events from other accounts.

Events without a time (``ts < 0``) and self-interactions are left out.

References
----------
M. Weerasinghe, B. Flanigan, A. Stein, D. McCoy, R. Greenstadt. The Pod People:
Understanding manipulation of social media popularity via reciprocity abuse.
The Web Conference (WWW) 2020.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import kernel
from .._merge_walk import next_common
from ..errors import GraphInputError
from ..graph import from_edges


@dataclass(frozen=True)
class EngagementPods:
    """Result of :func:`engagement_pods`.

    Per account (shape (n,)): ``pod_ties`` (int64) :math:`d_v`, ``density``
    (float64) :math:`\\rho_v`, ``pod_events`` (int64), ``crowd_events`` (int64) events in
    co-threads, ``inbound`` (int64) timed inbound events.  ``tie_u``, ``tie_v`` (int32, shape (t,)): every pod tie once, ``u < v``.
    """

    pod_ties: np.ndarray
    density: np.ndarray
    pod_events: np.ndarray
    crowd_events: np.ndarray
    inbound: np.ndarray
    tie_u: np.ndarray
    tie_v: np.ndarray


@kernel
def _co_thread_events(dst, ts, src, window, min_group, n):  # pragma: no cover - compiled
    """Flag every event (sorted by dst, ts) that lies in a thread with >= min_group distinct sources."""
    m = dst.shape[0]
    flag = np.zeros(m, dtype=np.bool_)
    seen = np.full(n, -1, dtype=np.int64)
    i = 0
    while i < m:
        j = i
        distinct = 0
        while j < m and dst[j] == dst[i] and ts[j] < ts[i] + window:
            if seen[src[j]] != i:
                seen[src[j]] = i
                distinct += 1
            j += 1
        if distinct >= min_group:
            for k in range(i, j):
                flag[k] = True
        i = j
    return flag


@kernel
def _triangles(indptr, indices):  # pragma: no cover - compiled
    """Triangles through every node of an undirected graph with sorted rows and no self-loops."""
    n = indptr.shape[0] - 1
    tri = np.zeros(n, dtype=np.int64)
    for u in range(n):
        for a in range(indptr[u], indptr[u + 1]):
            v = indices[a]
            if v <= u:
                continue
            ie, je = indptr[u + 1], indptr[v + 1]
            i, j = next_common(indices, indptr[u], ie, indptr[v], je)
            while i < ie:  # common neighbours w > v
                w = indices[i]
                if w > v:
                    tri[u] += 1
                    tri[v] += 1
                    tri[w] += 1
                i, j = next_common(indices, i + 1, ie, j + 1, je)
    return tri


def engagement_pods(
    n_nodes: int, src, dst, ts, *, window_s: float = 600.0, min_group: int = 3, min_repeats: int = 3
) -> EngagementPods:
    """Pod ties, their density and the engagement they supply (module docstring).

    Parameters
    ----------
    n_nodes : int
    src, dst : array_like of int, shape (i,)
        Source and target of every interaction event.
    ts : array_like of int, shape (i,)
        Unix seconds, negative where unknown.
    window_s : float, default 600
        Thread window :math:`W`.
    min_group : int, default 3
        Distinct sources :math:`g` that make a co-thread.
    min_repeats : int, default 3
        Co-thread events :math:`r` needed each way for a pod tie.

    Examples
    --------
    >>> src, dst, ts = [], [], []
    >>> for r in range(3):  # a pod of four: each posts, the three others answer within a minute
    ...     for p in range(4):
    ...         for q in range(4):
    ...             if q != p:
    ...                 src.append(q); dst.append(p); ts.append(10_000 * (4 * r + p) + 10 * q)
    >>> pods = engagement_pods(5, src, dst, ts)
    >>> pods.pod_ties.tolist(), pods.density.tolist(), pods.pod_events.tolist()
    ([3, 3, 3, 3, 0], [1.0, 1.0, 1.0, 1.0, 0.0], [9, 9, 9, 9, 0])
    """
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    t = np.asarray(ts, dtype=np.int64)
    if not (s.shape == d.shape == t.shape) or s.ndim != 1:
        raise GraphInputError(f"src, dst and ts must be 1-d of one length; got {s.shape}, {d.shape}, {t.shape}.")
    if s.size and (min(s.min(), d.min()) < 0 or max(s.max(), d.max()) >= n_nodes):
        raise GraphInputError(f"event endpoints must be account indices in 0..{n_nodes - 1}.")
    if not window_s > 0 or min_group < 2 or min_repeats < 1:
        raise GraphInputError(
            f"need window_s > 0, min_group >= 2, min_repeats >= 1; got {window_s}, {min_group}, {min_repeats}."
        )
    keep = (t >= 0) & (s != d)
    s, d, t = s[keep], d[keep], t[keep]
    inbound = np.bincount(d, minlength=n_nodes).astype(np.int64)
    order = np.lexsort((s, t, d))
    s, d, t = s[order], d[order], t[order]
    flag = _co_thread_events(d, t, s, int(np.ceil(window_s)), int(min_group), int(n_nodes))
    key, count = np.unique(s[flag] * n_nodes + d[flag], return_counts=True)
    strong = key[count >= min_repeats]
    back = (strong % n_nodes) * n_nodes + strong // n_nodes
    mutual = strong[np.isin(back, strong, assume_unique=True)]
    u, v = mutual // n_nodes, mutual % n_nodes  # both directions of every tie
    pod = from_edges(u, v, n_nodes=n_nodes, directed=True)
    ties = np.diff(pod.indptr).astype(np.int64)
    tri = _triangles(pod.indptr, pod.indices)
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(ties >= 2, 2.0 * tri / (ties * (ties - 1.0)), 0.0)
    pod_key = np.isin(key, mutual, assume_unique=True)
    pod_events = np.bincount(key[pod_key] % n_nodes, weights=count[pod_key], minlength=n_nodes).astype(np.int64)
    crowd = np.bincount(d[flag], minlength=n_nodes).astype(np.int64)
    once = u < v
    return EngagementPods(ties, density, pod_events, crowd, inbound, u[once].astype(np.int32), v[once].astype(np.int32))
