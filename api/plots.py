"""Plots of an analysis run, as matplotlib figures (the ``report`` extra).

Every function takes result tables (``pyarrow.Table``, selected by column name
as in ``docs/ARCHITECTURE.md``) or plain arrays and returns a
:class:`matplotlib.figure.Figure` built without pyplot, so nothing here touches
global matplotlib state: the same figures go into the HTML report
(:func:`png_bytes`) and display inline in notebooks.  A function whose input
columns are absent from the run raises :class:`MissingColumns`; the report
catches it and says which measure the run lacks.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installed extras
    raise ModuleNotFoundError("plots and reports need matplotlib: pip install nichegraph") from exc

#: Tier names in increasing order of follower count.
TIER_ORDER: tuple[str, ...] = ("nano", "micro", "macro", "mega", "unknown")

#: Candidate niche-centrality columns, best first.
NICHE_COLUMNS: tuple[str, ...] = ("niche_pagerank", "niche_percentile", "within_module_z", "niche_share")

_HIGHLIGHT = "#d62728"
_BASE = "#1f77b4"


class MissingColumns(KeyError):
    """The run has no column a plot needs (the measure was not computed)."""

    def __init__(self, what: str, columns: Iterable[str]):
        self.columns = tuple(columns)
        super().__init__(f"{what} needs column(s) {', '.join(self.columns)}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def _figure(width: float = 6.4, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, *, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes (Agg, no display needed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def column(table: pa.Table, name: str, *, fill: float | None = None) -> np.ndarray:
    """One column as a numpy array; nulls become ``fill`` (NaN by default for numbers).

    Raises
    ------
    MissingColumns
        When ``table`` has no column ``name``.
    """
    if name not in table.column_names:
        raise MissingColumns(name, [name])
    col = table.column(name)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type):
        arr = col.to_numpy(zero_copy_only=False)
        if col.null_count:
            arr = np.where(np.asarray(col.is_null()), np.nan if fill is None else fill, arr.astype(np.float64))
        return arr
    return np.asarray(col.to_pylist(), dtype=object)


def _require(table: pa.Table, what: str, *names: str) -> None:
    missing = [n for n in names if n not in table.column_names]
    if missing:
        raise MissingColumns(what, missing)


def follower_counts(accounts: pa.Table) -> tuple[np.ndarray, str]:
    """Platform follower count where known, else the observed follower in-degree.

    Returns
    -------
    counts : ndarray of float64, shape (n,)
    label : str
        Axis label saying which source was used.
    """
    observed = (
        column(accounts, "followers_observed").astype(np.float64)
        if "followers_observed" in accounts.column_names
        else None
    )
    if "followers_count" in accounts.column_names:
        platform = column(accounts, "followers_count").astype(np.float64)
        if observed is None:
            return platform, "followers (platform count)"
        if np.isfinite(platform).any():
            return np.where(
                np.isfinite(platform), platform, observed
            ), "followers (platform count, else observed in-degree)"
        return observed, "followers (observed in-degree)"
    if observed is None:
        raise MissingColumns("follower counts", ["followers_count", "followers_observed"])
    return observed, "followers (observed in-degree)"


def degree_distribution(accounts: pa.Table) -> Figure:
    """Complementary CDF of in- and out-degree on the attention graph (log-log).

    ``P(X >= k)`` against ``k`` for every ``k >= 1`` present; accounts with
    degree 0 are counted in the denominator.
    """
    _require(accounts, "degree distribution", "in_degree", "out_degree")
    fig = _figure()
    ax = fig.add_subplot()
    n = accounts.num_rows
    for name, colour in (("in_degree", _BASE), ("out_degree", "#ff7f0e")):
        deg = column(accounts, name).astype(np.int64)
        values, counts = np.unique(deg[deg > 0], return_counts=True)
        if values.size:
            ccdf = counts[::-1].cumsum()[::-1] / max(n, 1)
            ax.loglog(values, ccdf, marker=".", linestyle="none", color=colour, label=name.replace("_", "-"))
    ax.set_xlabel("degree k")
    ax.set_ylabel("P(degree >= k)")
    ax.set_title(f"Degree distribution ({n:,} accounts)")
    if ax.has_data():
        ax.legend()
    return fig


def community_sizes(communities: pa.Table | None, accounts: pa.Table | None = None) -> Figure:
    """Rank-size plot of community sizes (log-log), one series per level.

    Uses the ``communities`` table (``level``, ``size``) when it has them, else
    counts members of ``accounts.community`` (and ``accounts.niche``).
    """
    series: dict[str, np.ndarray] = {}
    if communities is not None and {"size"} <= set(communities.column_names) and communities.num_rows:
        sizes = column(communities, "size").astype(np.int64)
        levels = (
            column(communities, "level")
            if "level" in communities.column_names
            else np.full(sizes.shape, "broad", dtype=object)
        )
        for level in dict.fromkeys(levels.tolist()):
            series[str(level)] = np.sort(sizes[levels == level])[::-1]
    elif accounts is not None and "community" in accounts.column_names:
        for level, name in (("broad", "community"), ("niche", "niche")):
            if name in accounts.column_names:
                labels = column(accounts, name, fill=-1).astype(np.int64)
                series[level] = np.sort(np.unique(labels[labels >= 0], return_counts=True)[1])[::-1]
    else:
        raise MissingColumns("community sizes", ["communities.size", "accounts.community"])
    fig = _figure()
    ax = fig.add_subplot()
    few = max((s.size for s in series.values()), default=0) <= 30
    width = 0.8 / max(len(series), 1)
    for i, ((level, sizes), colour) in enumerate(zip(series.items(), (_BASE, "#2ca02c", "#9467bd"))):
        if sizes.size:
            label = f"{level}: {sizes.size:,} communities, largest {sizes[0]:,}"
            ranks = np.arange(1, sizes.size + 1)
            if few:  # a handful of communities: plain bars read better than a log-log line
                ax.bar(ranks + (i - (len(series) - 1) / 2) * width, sizes, width=width, color=colour, label=label)
            else:
                ax.loglog(ranks, sizes, marker="o", markersize=3, color=colour, label=label)
    if few:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("community rank (largest first)" + ("" if few else ", log"))
    ax.set_ylabel("members" + ("" if few else " (log)"))
    ax.set_title("Community size distribution")
    if ax.has_data():
        ax.legend()
    return fig


def niche_vs_followers(
    accounts: pa.Table,
    *,
    y: str | None = None,
    x: str | None = None,
    highlight: np.ndarray | Sequence[int] | None = None,
    top: int = 25,
    nano_threshold: float | None = 10_000,
) -> Figure:
    """Niche centrality against follower count (log x), hidden influencers highlighted.

    Parameters
    ----------
    accounts : pyarrow.Table
        The run's ``accounts`` table.
    y : str, optional
        Centrality column; default the first of :data:`NICHE_COLUMNS` present.
    x : str, optional
        Column for the x axis; default the follower count (:func:`follower_counts`).
    highlight : array of int, optional
        Row positions to highlight; default the ``top`` rows by ``score_hidden``
        (only rows with a finite, positive score).
    top : int
        How many to highlight by default.
    nano_threshold : float or None
        Drawn as a dashed line (the nano tier's upper bound); None for no line.
    """
    if y is None:
        y = next((c for c in NICHE_COLUMNS if c in accounts.column_names), None)
        if y is None:
            raise MissingColumns("niche centrality plot", NICHE_COLUMNS[:1])
    if x is None:
        followers, xlabel = follower_counts(accounts)
    else:
        followers, xlabel = column(accounts, x).astype(np.float64), x.replace("_", " ")
    yv = column(accounts, y).astype(np.float64)
    if highlight is None:
        highlight = top_rows(accounts, "score_hidden", top) if "score_hidden" in accounts.column_names else []
    mask = np.zeros(accounts.num_rows, dtype=bool)
    mask[np.asarray(highlight, dtype=np.int64)] = True
    xv = np.maximum(np.nan_to_num(followers, nan=0.0), 0.0) + 1.0  # log axis: +1 keeps 0 followers
    ok = np.isfinite(yv)
    fig = _figure()
    ax = fig.add_subplot()
    ax.scatter(xv[ok & ~mask], yv[ok & ~mask], s=6, alpha=0.35, color=_BASE, linewidths=0, label="accounts")
    if mask.any():
        ax.scatter(
            xv[ok & mask],
            yv[ok & mask],
            s=28,
            color=_HIGHLIGHT,
            edgecolors="black",
            linewidths=0.5,
            label=f"hidden influencers (top {int(mask.sum())})",
        )
    ax.set_xscale("log")
    pos = yv[ok & (yv > 0)]
    if pos.size and pos.size == ok.sum() and pos.max() / pos.min() > 100:  # heavy-tailed and positive: log y
        ax.set_yscale("log")
    if nano_threshold is not None:
        ax.axvline(
            nano_threshold + 1, color="grey", linestyle="--", linewidth=1, label=f"{nano_threshold:,.0f} followers"
        )
    ax.set_xlabel(f"{xlabel} + 1 (log)")
    ax.set_ylabel(y.replace("_", " "))
    ax.set_title("Niche centrality vs follower count" if x is None else f"Niche centrality vs {xlabel}")
    ax.legend(loc="best", fontsize="small")
    return fig


def by_tier(accounts: pa.Table, value: str = "social_ratio", *, group: str = "tier") -> dict[str, np.ndarray]:
    """Finite values of ``value`` per tier (or per value of another ``group`` column).

    Groups come in :data:`TIER_ORDER`, then any others sorted by name.
    """
    _require(accounts, f"{value} by {group}", group, value)
    tiers = column(accounts, group)
    v = column(accounts, value).astype(np.float64)
    names = [t for t in TIER_ORDER if t in set(tiers.tolist())]
    names += sorted({str(t) for t in tiers.tolist() if t is not None} - set(names))
    return {t: v[(tiers == t) & np.isfinite(v)] for t in names}


def ratio_by_tier(accounts: pa.Table, value: str = "social_ratio", *, group: str = "tier") -> Figure:
    """Box plot of a per-account ratio (default ``social_ratio``) by follower tier, means marked.

    ``group`` names another column to group by (e.g. a band of in-degree).
    """
    groups = by_tier(accounts, value, group=group)
    fig = _figure()
    ax = fig.add_subplot()
    names = [t for t, g in groups.items() if g.size]
    if not names:
        ax.text(
            0.5,
            0.5,
            f"no account has a defined {value}\n(no inbound interactions in this run)",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    else:
        ax.boxplot([groups[t] for t in names], showfliers=False, widths=0.5)
        ax.plot(range(1, len(names) + 1), [groups[t].mean() for t in names], "D", color=_HIGHLIGHT, label="mean")
        ax.set_xticks(range(1, len(names) + 1), [f"{t}\n(n={groups[t].size:,})" for t in names])
        ax.legend(loc="best", fontsize="small")
    ax.set_ylabel(value.replace("_", " "))
    ax.set_title(f"{value.replace('_', ' ').capitalize()} by {group.replace('_', ' ')}")
    return fig


def top_rows(
    table: pa.Table, score: str, k: int, *, mask: np.ndarray | None = None, descending: bool = True
) -> np.ndarray:
    """Row positions of the ``k`` best finite ``score`` values (ties by row position).

    Returns
    -------
    ndarray of int64, shape (<= k,)
    """
    v = column(table, score).astype(np.float64)
    ok = np.isfinite(v) if mask is None else (np.isfinite(v) & mask)
    rows = np.flatnonzero(ok)
    key = -v[rows] if descending else v[rows]
    order = np.lexsort((rows, key))  # stable: equal scores keep row order
    return rows[order[:k]]


def community_graph(
    labels: np.ndarray, src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate an edge list into the community graph.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        Community of every node (negative = none; such nodes are ignored).
    src, dst : ndarray of int, shape (m,)
        Edge endpoints (node indices).
    weight : ndarray of float, shape (m,), optional

    Returns
    -------
    sizes : ndarray of int64, shape (c,)
        Members per community id ``0..c-1`` (``c = labels.max() + 1``).
    pairs : ndarray of int64, shape (p, 2)
        Community pairs ``a < b`` joined by at least one edge (direction ignored).
    weights : ndarray of float64, shape (p,)
        Total edge weight between each pair.
    """
    labels = np.asarray(labels, dtype=np.int64)
    c = int(labels.max()) + 1 if labels.size else 0
    sizes = np.bincount(labels[labels >= 0], minlength=c).astype(np.int64)
    a, b = labels[np.asarray(src, dtype=np.int64)], labels[np.asarray(dst, dtype=np.int64)]
    w = np.ones(a.shape, dtype=np.float64) if weight is None else np.asarray(weight, dtype=np.float64)
    keep = (a >= 0) & (b >= 0) & (a != b)
    lo, hi, w = np.minimum(a, b)[keep], np.maximum(a, b)[keep], w[keep]
    key, inverse = np.unique(lo * max(c, 1) + hi, return_inverse=True)
    weights = np.bincount(inverse, weights=w, minlength=key.size)
    return sizes, np.stack([key // max(c, 1), key % max(c, 1)], axis=1), weights


def _force_layout(
    n: int, pairs: np.ndarray, weights: np.ndarray, *, seed: int = 0, iterations: int = 200
) -> np.ndarray:
    """Fruchterman-Reingold positions for a small graph (n up to a few hundred), shape (n, 2)."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, size=(n, 2))
    if n < 2:
        return np.zeros((n, 2))
    k = np.sqrt(4.0 / n)
    w = weights / weights.max() if weights.size else weights
    temp = 0.2
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        disp = ((k * k / dist**2)[:, :, None] * delta).sum(axis=1)
        if pairs.size:
            d = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            dn = np.maximum(np.linalg.norm(d, axis=1), 1e-3)
            f = (dn / k * (0.2 + w))[:, None] * d
            np.add.at(disp, pairs[:, 0], -f)
            np.add.at(disp, pairs[:, 1], f)
        length = np.maximum(np.linalg.norm(disp, axis=1), 1e-9)
        pos += disp / length[:, None] * np.minimum(length, temp)[:, None]
        pos -= pos.mean(axis=0)
        temp *= 0.98
    return pos


def community_map(
    labels: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    groups: np.ndarray | None = None,
    max_communities: int = 60,
    seed: int = 0,
    title: str = "Community graph",
) -> Figure:
    """Map of the community graph: one disc per community (area ~ members), lines ~ edge weight.

    Only the ``max_communities`` largest communities are drawn.  With
    ``groups`` (a label per node, e.g. a party), each disc is coloured by its
    members' majority group and the legend names the groups.
    """
    sizes, pairs, weights = community_graph(labels, src, dst, weight)
    keep = np.argsort(-sizes, kind="stable")[:max_communities]
    keep = keep[sizes[keep] > 0]
    remap = np.full(sizes.size, -1, dtype=np.int64)
    remap[keep] = np.arange(keep.size)
    sel = (remap[pairs[:, 0]] >= 0) & (remap[pairs[:, 1]] >= 0) if pairs.size else np.zeros(0, bool)
    p2 = remap[pairs[sel]] if pairs.size else np.zeros((0, 2), np.int64)
    w2 = weights[sel]
    pos = _force_layout(keep.size, p2, w2, seed=seed)
    fig = _figure(6.4, 5.6)
    ax = fig.add_subplot()
    if w2.size:
        lw = 0.3 + 4.0 * w2 / w2.max()
        for (a, b), width in zip(p2, lw):
            ax.plot(pos[[a, b], 0], pos[[a, b], 1], color="grey", alpha=0.4, linewidth=width, zorder=1)
    colours = np.full(keep.size, _BASE, dtype=object)
    if groups is not None and keep.size:
        groups = np.asarray(groups, dtype=object)
        labels = np.asarray(labels, dtype=np.int64)
        names = sorted({str(g) for g in groups.tolist()})
        palette = dict(
            zip(
                names,
                [
                    "#1f77b4",
                    "#d62728",
                    "#2ca02c",
                    "#ff7f0e",
                    "#9467bd",
                    "#8c564b",
                    "#e377c2",
                    "#7f7f7f",
                    "#bcbd22",
                    "#17becf",
                ]
                * 10,
            )
        )
        for i, cid in enumerate(keep):
            vals, counts = np.unique(groups[labels == cid].astype(str), return_counts=True)
            colours[i] = palette[str(vals[np.argmax(counts)])]
        for name, colour in palette.items():
            ax.scatter([], [], color=colour, label=f"majority {name}")
        ax.legend(loc="best", fontsize="small")
    area = 20 + 1500 * sizes[keep] / max(int(sizes[keep].max()) if keep.size else 1, 1)
    ax.scatter(pos[:, 0], pos[:, 1], s=area, c=list(colours), alpha=0.8, edgecolors="black", linewidths=0.5, zorder=2)
    for i, cid in enumerate(keep[:15]):
        ax.annotate(str(int(cid)), pos[i], ha="center", va="center", fontsize=7, zorder=3)
    ax.set_axis_off()
    ax.set_title(f"{title} ({keep.size} of {int((sizes > 0).sum())} communities)")
    return fig
