"""The organisation view: the hierarchy of posts, coloured by work state, and clicks on it.

The organisation is drawn as a tree of posts: levels as rows (top level at
the top), posts ordered depth-first so each work unit sits under its
superior. The posts never move (cadres move between posts), so the layout is
a pure function of the organisation's structure, :func:`hierarchy_layout`,
computed once per model build (:func:`model_layout` caches it); each frame
only recolours the posts by their holder's work state.

A level with more posts than :data:`MAX_POSTS_PER_ROW` (the bottom levels of
a large organisation) would be overplotted as markers, so it is aggregated:
its posts, in the same depth-first order, are cut into consecutive groups of
equal size, one column each, and every column is drawn as a stack of cells,
one cell per post, sorted by work state (active at the bottom, then routine,
flat, vacant). Each column reads as a bar of its group's mix, and each cell
is still one post, so a click picks a cadre.

:func:`hierarchy_figure` returns the figure and a :class:`HierarchyPicker`
that turns a click on the rendered image into the post under it.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import NDArray

from sim.model.kinds import WorkState
from sim.viz.style import SELECTED_COLOUR, VACANT_COLOUR, WORK_STATE_COLOURS

if TYPE_CHECKING:
    from sim.model import CadreModel

__all__ = [
    "CLOSED",
    "HIERARCHY_FIGSIZE",
    "LEVEL_BAND",
    "MAX_POSTS_PER_ROW",
    "VACANT",
    "HierarchyLayout",
    "HierarchyPicker",
    "LevelBlock",
    "hierarchy_figure",
    "hierarchy_layout",
    "model_layout",
    "post_codes",
]

#: Code of a vacant and of an abolished post in :func:`post_codes` (work
#: states are coded by their :class:`WorkState` value); padding cells of an
#: aggregated level get the next code.
VACANT = len(WorkState)
CLOSED = VACANT + 1
_PADDING = CLOSED + 1
#: RGBA colour per post code, for a vectorised lookup (abolished and padding: transparent).
_POST_RGBA: NDArray[np.float64] = np.array(
    [to_rgba(WORK_STATE_COLOURS[s]) for s in WorkState]
    + [to_rgba(VACANT_COLOUR), (1.0, 1.0, 1.0, 0.0), (1.0, 1.0, 1.0, 0.0)]
)
#: Figure size (inches); the marker sizes are computed for its width.
HIERARCHY_FIGSIZE = (6.4, 3.6)
#: Axes position in the figure (fractions), fixed so that clicks map to data.
_AXES_BOX: dict[str, float] = {"left": 0.12, "right": 0.99, "bottom": 0.02, "top": 0.82}
#: Posts a level may have before it is aggregated into columns of cells.
MAX_POSTS_PER_ROW = 110
#: Vertical extent of an aggregated level's columns (levels are 1 apart).
LEVEL_BAND = 0.8
#: Largest marker diameter (points) of a post, and the click tolerance (points).
_MAX_DIAMETER = 14.0
_CLICK_TOLERANCE = 6.0


@dataclass(frozen=True)
class LevelBlock:
    """An aggregated level: its posts as columns of cells.

    Attributes:
        level: the level (0 = bottom).
        posts: post ids, shape ``(rows, columns)``, columns left to right in
            depth-first order; ``-1`` pads the last column.
        x0: left edge of the first column.
        x1: right edge of the last column.

    """

    level: int
    posts: NDArray[np.int64]
    x0: float
    x1: float


@dataclass(frozen=True)
class HierarchyLayout:
    """Fixed positions of the organisation's posts.

    Attributes:
        x: horizontal position of each post, in (0, 1).
        y: vertical position of each post: its level (0 = bottom).
        size: marker area (points squared) of each post drawn as a marker.
        marker: whether each post is drawn as a marker (False: in a block).
        segments: line from each marker post to its superior post, shape ``(m, 2, 2)``.
        blocks: the aggregated levels.
        n_levels: number of levels.

    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    size: NDArray[np.float64]
    marker: NDArray[np.bool_]
    segments: NDArray[np.float64]
    blocks: tuple[LevelBlock, ...]
    n_levels: int


def _depth_first_x(level: NDArray[np.int64], parent: NDArray[np.int64]) -> NDArray[np.float64]:
    """Horizontal positions: leaves evenly spaced depth-first, superiors over their units."""
    n = int(level.size)
    n_levels = int(level.max()) + 1
    ids = np.arange(n, dtype=np.int64)
    # chain[k, p]: p's ancestor at level k (p itself at its own level), -1 below p.
    chain = np.full((n_levels, n), -1, dtype=np.int64)
    current = ids.copy()
    valid = np.ones(n, dtype=bool)
    for _ in range(n_levels):
        rows = level[current]
        chain[rows[valid], ids[valid]] = current[valid]
        up = parent[current]
        valid &= up >= 0
        current = np.where(valid, up, current)
    # Depth-first pre-order: sort by the ancestor chain from the top level down
    # (np.lexsort takes its primary key last).
    order = np.lexsort(tuple(chain[k] for k in range(n_levels)))
    has_parent = parent >= 0
    n_children = np.bincount(parent[has_parent], minlength=n)
    leaves = order[n_children[order] == 0]
    x = np.zeros(n, dtype=np.float64)
    x[leaves] = np.arange(leaves.size, dtype=np.float64)
    for k in range(1, n_levels):
        child = has_parent & (level < k) & (level[np.maximum(parent, 0)] == k)
        sums = np.bincount(parent[child], weights=x[child], minlength=n)
        counts = np.bincount(parent[child], minlength=n)
        superiors = (level == k) & (counts > 0)
        x[superiors] = sums[superiors] / counts[superiors]
    return (x + 0.5) / max(int(leaves.size), 1)


def _block(level: int, members: NDArray[np.int64], x: NDArray[np.float64]) -> LevelBlock:
    """Cut a level's posts (sorted left to right) into columns of equal height."""
    rows = math.ceil(members.size / MAX_POSTS_PER_ROW)
    columns = math.ceil(members.size / rows)
    padded = np.full(rows * columns, -1, dtype=np.int64)
    padded[: members.size] = members
    posts = padded.reshape(columns, rows).T
    first, last = float(x[members[0]]), float(x[members[-1]])
    half = 0.5 * (last - first) / max(members.size - 1, 1)
    return LevelBlock(level, posts, first - half, last + half)


def hierarchy_layout(
    post_level: NDArray[np.integer] | Sequence[int],
    post_parent: NDArray[np.integer] | Sequence[int],
    width_points: float = HIERARCHY_FIGSIZE[0] * 72,
) -> HierarchyLayout:
    """Lay out a tree of posts: levels as rows, each unit under its superior.

    Posts are ordered depth-first from the top (a superior's subordinates are
    contiguous and follow the order of their ids). Posts without subordinates
    are spaced evenly in that order; every superior sits at the mean
    position of its subordinates (a tidy tree). A level with more than
    :data:`MAX_POSTS_PER_ROW` posts becomes a :class:`LevelBlock`. Runs in
    O(n log n) with numpy; no per-frame work.

    Args:
        post_level: level of each post, 0 = bottom.
        post_parent: index of each post's superior post, -1 for none.
        width_points: drawing width in points, used for the marker sizes.

    Returns:
        The positions, marker sizes, blocks and superior links of every post.

    """
    level = np.asarray(post_level, dtype=np.int64)
    parent = np.asarray(post_parent, dtype=np.int64)
    n = int(level.size)
    if n == 0:
        empty = np.empty(0, dtype=np.float64)
        return HierarchyLayout(empty, empty, empty, np.empty(0, bool), np.empty((0, 2, 2)), (), 0)
    n_levels = int(level.max()) + 1
    x = _depth_first_x(level, parent)
    y = level.astype(np.float64)
    size = np.zeros(n, dtype=np.float64)
    marker = np.ones(n, dtype=bool)
    blocks = []
    for k in range(n_levels):
        members = np.flatnonzero(level == k)
        members = members[np.argsort(x[members], kind="stable")]
        if members.size > MAX_POSTS_PER_ROW:
            blocks.append(_block(k, members, x))
            marker[members] = False
        elif members.size:
            diameter = min(_MAX_DIAMETER, 0.85 * width_points / members.size)
            size[members] = diameter**2
    linked = np.flatnonzero((parent >= 0) & marker)
    segments = np.empty((linked.size, 2, 2), dtype=np.float64)
    segments[:, 0, 0] = x[linked]
    segments[:, 0, 1] = y[linked]
    segments[:, 1, 0] = x[parent[linked]]
    segments[:, 1, 1] = y[parent[linked]]
    return HierarchyLayout(x, y, size, marker, segments, tuple(blocks), n_levels)


_LAYOUTS: weakref.WeakKeyDictionary[Any, HierarchyLayout] = weakref.WeakKeyDictionary()


def model_layout(model: CadreModel) -> HierarchyLayout:
    """The hierarchy layout of ``model``'s organisation, computed on first use.

    The organisation's posts and their superiors are fixed when the model is
    built, so the layout is cached per model (weakly: it goes when the model
    goes) and every later frame reuses it.
    """
    layout = _LAYOUTS.get(model)
    if layout is None:
        layout = hierarchy_layout(model.org.post_level, model.org.post_parent)
        _LAYOUTS[model] = layout
    return layout


def post_codes(model: CadreModel) -> NDArray[np.int64]:
    """Code of each post this month: its holder's work state, or vacant / abolished."""
    org, pop = model.org, model.pop
    holder = org.post_holder
    held = holder >= 0
    codes = np.full(holder.size, VACANT, dtype=np.int64)
    codes[held] = pop.state[holder[held]]
    codes[~org.post_open & ~held] = CLOSED
    return codes


@dataclass(frozen=True)
class HierarchyPicker:
    """Maps a click on the rendered organisation view to the post under it.

    Attributes:
        axes_box: ``(left, bottom, right, top)`` of the axes, in figure fractions.
        xlim: the axes' horizontal data range.
        ylim: the axes' vertical data range.
        size_inches: the figure's size.
        marker_posts: ids of the posts drawn as markers.
        x: positions of every post (data units).
        y: levels of every post (data units).
        blocks: each aggregated level's extent ``(x0, x1, y0, y1)`` and its
            post ids as drawn this frame (cells sorted by work state).

    """

    axes_box: tuple[float, float, float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    size_inches: tuple[float, float]
    marker_posts: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    blocks: tuple[tuple[tuple[float, float, float, float], NDArray[np.int64]], ...]

    def post_at(self, fx: float, fy: float) -> int | None:
        """The post at ``(fx, fy)``, fractions of the image from its top-left corner.

        A click inside an aggregated level picks the cell under it; elsewhere
        the nearest post drawn as a marker within a few points. ``None`` if
        there is no post there.
        """
        left, bottom, right, top = self.axes_box
        fig_x, fig_y = fx, 1.0 - fy
        data_x = self.xlim[0] + (fig_x - left) / (right - left) * (self.xlim[1] - self.xlim[0])
        data_y = self.ylim[0] + (fig_y - bottom) / (top - bottom) * (self.ylim[1] - self.ylim[0])
        for (x0, x1, y0, y1), posts in self.blocks:
            if x0 <= data_x < x1 and y0 <= data_y < y1:
                rows, columns = posts.shape
                column = min(int((data_x - x0) / (x1 - x0) * columns), columns - 1)
                row = min(int((data_y - y0) / (y1 - y0) * rows), rows - 1)
                post = int(posts[row, column])
                return post if post >= 0 else None
        if self.marker_posts.size == 0:
            return None
        # distances in points: data units scaled by the axes' size in inches
        width = (right - left) * self.size_inches[0] * 72 / (self.xlim[1] - self.xlim[0])
        height = (top - bottom) * self.size_inches[1] * 72 / (self.ylim[1] - self.ylim[0])
        dx = (self.x[self.marker_posts] - data_x) * width
        dy = (self.y[self.marker_posts] - data_y) * height
        distance = np.hypot(dx, dy)
        nearest = int(np.argmin(distance))
        if distance[nearest] > _CLICK_TOLERANCE + _MAX_DIAMETER / 2:
            return None
        return int(self.marker_posts[nearest])


def _block_image(block: LevelBlock, codes: NDArray[np.int64]) -> tuple[Any, Any]:
    """A block's cells this frame: RGBA image and post ids, each column sorted by code."""
    cell_codes = np.where(block.posts >= 0, codes[np.maximum(block.posts, 0)], _PADDING)
    order = np.argsort(cell_codes, axis=0, kind="stable")
    sorted_codes = np.take_along_axis(cell_codes, order, axis=0)
    sorted_posts = np.take_along_axis(block.posts, order, axis=0)
    sorted_posts = np.where(sorted_codes >= CLOSED, -1, sorted_posts)
    return _POST_RGBA[sorted_codes], sorted_posts


def _level_labels(model: CadreModel, n_levels: int) -> list[str]:
    """Tick label of each level: its number and flat share this month."""
    out = model.outputs
    return [
        f"level {k + 1}\n{out.get(f'flat_share_level{k + 1}', float('nan')):.0%} flat"
        for k in range(n_levels)
    ]


def hierarchy_figure(
    model: CadreModel, selected_post: int | None = None, title: str = ""
) -> tuple[Figure, HierarchyPicker]:
    """The organisation as a hierarchy of posts, each coloured by its holder's work state.

    Uses the cached :func:`model_layout`; per frame only the colours, the
    order of cells in aggregated levels and the per-level flat shares are
    computed.

    Args:
        model: the model drawn.
        selected_post: a post to ring (the inspected cadre's), or ``None``.
        title: the title (default: ``"Organisation, month N"``).

    Returns:
        The figure, and the picker for clicks on its rendered image.

    """
    layout = model_layout(model)
    codes = post_codes(model)
    fig = Figure(figsize=HIERARCHY_FIGSIZE)
    fig.subplots_adjust(**_AXES_BOX)
    ax = fig.add_subplot()
    ax.add_collection(LineCollection(layout.segments, colors="#999999", linewidths=0.3, alpha=0.35))
    shown = layout.marker & (codes != CLOSED)
    ax.scatter(
        layout.x[shown],
        layout.y[shown],
        s=layout.size[shown],
        c=_POST_RGBA[codes[shown]],
        linewidths=0,
    )
    drawn_blocks = []
    for block in layout.blocks:
        extent = (
            block.x0,
            block.x1,
            block.level - LEVEL_BAND / 2,
            block.level + LEVEL_BAND / 2,
        )
        image, posts = _block_image(block, codes)
        ax.imshow(image, extent=extent, origin="lower", aspect="auto", interpolation="nearest")
        drawn_blocks.append((extent, posts))
        if selected_post is not None and selected_post in block.posts:
            row, column = (int(i[0]) for i in np.nonzero(posts == selected_post))
            rows, columns = posts.shape
            cx = block.x0 + (column + 0.5) / columns * (block.x1 - block.x0)
            cy = extent[2] + (row + 0.5) / rows * LEVEL_BAND
            ax.plot(cx, cy, marker="s", ms=9, mfc="none", mec=SELECTED_COLOUR, mew=2.0)
    if selected_post is not None and layout.marker[selected_post]:
        ax.plot(
            layout.x[selected_post],
            layout.y[selected_post],
            marker="o",
            ms=math.sqrt(layout.size[selected_post]) + 5,
            mfc="none",
            mec=SELECTED_COLOUR,
            mew=2.0,
        )
    xlim, ylim = (0.0, 1.0), (-0.6, layout.n_levels - 0.4)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xticks([])
    ax.set_yticks(range(layout.n_levels), _level_labels(model, layout.n_levels), fontsize=7)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or f"Organisation, month {model.steps}", fontsize=10, loc="left", pad=14)
    handles = [
        Line2D([], [], linestyle="", marker="o", color=WORK_STATE_COLOURS[s], label=s.name.lower())
        for s in WorkState
    ]
    handles.append(Line2D([], [], linestyle="", marker="o", color=VACANT_COLOUR, label="vacant"))
    ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=4,
        fontsize=7,
        frameon=False,
    )
    picker = HierarchyPicker(
        axes_box=(_AXES_BOX["left"], _AXES_BOX["bottom"], _AXES_BOX["right"], _AXES_BOX["top"]),
        xlim=xlim,
        ylim=ylim,
        size_inches=HIERARCHY_FIGSIZE,
        marker_posts=np.flatnonzero(shown),
        x=layout.x,
        y=layout.y,
        blocks=tuple(drawn_blocks),
    )
    return fig, picker
