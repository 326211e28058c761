"""Bar charts as inline SVG text: no script, no library, a few kilobytes per chart.

Each bar carries a native tooltip (an SVG <title>), so the page needs no script
to show the figures behind a bar; the page's stylesheet styles the classes used
here (see CHART_CSS).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 1120
FONT = "Arial, 'Noto Sans', 'DejaVu Sans', sans-serif"
CHART_CSS = f"""
svg.chart-svg {{ width: 100%; height: auto; font-family: {FONT}; }}
svg.chart-svg text {{ font-size: 12px; fill: #212121; }}
svg.chart-svg .tick {{ fill: #616161; }}
svg.chart-svg .grid {{ stroke: #eeeeee; }}
svg.chart-svg .axis {{ stroke: #9e9e9e; }}
svg.chart-svg .target {{ stroke: #c62828; stroke-width: 2; stroke-dasharray: 7 5; }}
svg.chart-svg .target-label {{ fill: #c62828; font-weight: bold; }}
svg.chart-svg .mark {{ stroke: #c62828; stroke-width: 3; }}
svg.chart-svg .value {{ font-size: 11px; }}
svg.chart-svg .bar:hover {{ opacity: 0.8; }}
"""


@dataclass(frozen=True)
class Bar:
    """One bar: its value (None: no bar), colour, tooltip and the label written at its end."""

    value: float | None
    colour: str
    tooltip: str
    label: str | None = None


@dataclass(frozen=True)
class Category:
    """One group of bars on the axis (a district, a model type), with an optional mark: a
    short line across the group at a value (such as the level a district must reach)."""

    code: str
    name: str
    bars: Sequence[Bar]
    mark: float | None = None
    mark_tooltip: str | None = None


def _num(x: float) -> str:
    """Return a coordinate with at most one decimal, without a trailing .0."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_max(value: float, ticks: int = 5) -> tuple[float, float]:
    """Return (axis maximum, tick step) covering value with about `ticks` round steps."""
    if value <= 0:
        return 1.0, 1.0 / ticks if ticks else 1.0
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step - 1e-9), step


def _tick_label(value: float, suffix: str) -> str:
    return f"{value:g}{suffix}"


def _legend(items: Sequence[tuple[str, str, str]], y: float) -> list[str]:
    """Return legend entries (name, colour, kind: box, line or dash) laid out on one row."""
    out, x = [], 64.0
    for name, colour, kind in items:
        if kind == "box":
            out.append(
                f'<rect x="{_num(x)}" y="{_num(y - 10)}" width="12" height="12" fill="{colour}"/>'
            )
        else:
            dash = ' stroke-dasharray="7 5"' if kind == "dash" else ""
            out.append(
                f'<line x1="{_num(x - 2)}" x2="{_num(x + 16)}" y1="{_num(y - 4)}"'
                f' y2="{_num(y - 4)}" stroke="{colour}" stroke-width="3"{dash}/>'
            )
        out.append(f'<text x="{_num(x + 20)}" y="{_num(y)}">{escape(name)}</text>')
        x += 36 + 7.2 * len(name)
    return out


def column_chart(
    chart_id: str,
    title: str,
    categories: Sequence[Category],
    legend: Sequence[tuple[str, str, str]],
    *,
    y_max: float | None = None,
    y_suffix: str = "",
    y_title: str = "",
    line: tuple[float, str] | None = None,
    height: int = 430,
) -> str:
    """Return an SVG column chart: groups of vertical bars per category, a y axis with
    gridlines, an optional dashed horizontal line (value, label) and category marks."""
    top, bottom, left, right = 56.0, 112.0, 64.0, 16.0
    plot_h = height - top - bottom
    plot_w = WIDTH - left - right
    values = [b.value for c in categories for b in c.bars if b.value is not None]
    values += [c.mark for c in categories if c.mark is not None]
    if line is not None:
        values.append(line[0])
    axis_max, step = nice_max(max(values, default=0.0))
    if y_max is not None:
        axis_max, step = y_max, nice_max(y_max)[1]

    def y(v: float) -> float:
        return top + plot_h - (v / axis_max) * plot_h

    out = [
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {height}" role="img"'
        f' aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        *_legend(legend, 18),
    ]
    if y_title:
        out.append(
            f'<text class="tick" transform="rotate(-90)" x="{_num(-(top + plot_h / 2))}"'
            f' y="14" text-anchor="middle">{escape(y_title)}</text>'
        )
    tick = 0.0
    while tick <= axis_max + 1e-9:
        ty = y(tick)
        out.append(
            f'<line class="grid" x1="{_num(left)}" x2="{_num(WIDTH - right)}"'
            f' y1="{_num(ty)}" y2="{_num(ty)}"/>'
            f'<text class="tick" x="{_num(left - 6)}" y="{_num(ty + 4)}"'
            f' text-anchor="end">{_tick_label(tick, y_suffix)}</text>'
        )
        tick += step
    base = y(0)
    out.append(
        f'<line class="axis" x1="{_num(left)}" x2="{_num(WIDTH - right)}"'
        f' y1="{_num(base)}" y2="{_num(base)}"/>'
    )
    band = plot_w / max(1, len(categories))
    series = max((len(c.bars) for c in categories), default=1)
    group_w = band * 0.78
    bar_w = group_w / series
    for i, cat in enumerate(categories):
        x0 = left + i * band + (band - group_w) / 2
        out.append(f'<g class="category" data-code="{escape(cat.code)}">')
        for j, bar in enumerate(cat.bars):
            if bar.value is None:
                continue
            bx, by = x0 + j * bar_w, y(max(0.0, bar.value))
            out.append(
                f'<rect class="bar" x="{_num(bx + 1)}" y="{_num(by)}"'
                f' width="{_num(bar_w - 2)}" height="{_num(base - by)}" fill="{bar.colour}">'
                f"<title>{escape(bar.tooltip)}</title></rect>"
            )
            if bar.label:
                out.append(
                    f'<text class="value" x="{_num(bx + bar_w / 2)}" y="{_num(by - 4)}"'
                    f' text-anchor="middle">{escape(bar.label)}</text>'
                )
        if cat.mark is not None:
            my = y(cat.mark)
            tip = f"<title>{escape(cat.mark_tooltip)}</title>" if cat.mark_tooltip else ""
            out.append(
                f'<line class="mark" x1="{_num(x0 - 3)}" x2="{_num(x0 + group_w + 3)}"'
                f' y1="{_num(my)}" y2="{_num(my)}">{tip}</line>'
            )
        cx, cy = left + (i + 0.5) * band, base + 14
        out.append(
            f'<text class="tick" x="{_num(cx)}" y="{_num(cy)}" text-anchor="end"'
            f' transform="rotate(-40 {_num(cx)} {_num(cy)})">{escape(cat.name)}</text></g>'
        )
    if line is not None:
        ly = y(line[0])
        out.append(
            f'<line class="target" x1="{_num(left)}" x2="{_num(WIDTH - right)}"'
            f' y1="{_num(ly)}" y2="{_num(ly)}"/>'
            f'<text class="target-label" x="{_num(WIDTH - right)}" y="{_num(ly - 6)}"'
            f' text-anchor="end">{escape(line[1])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[Category],
    *,
    x_max: float,
    x_suffix: str = "",
    label_width: float = 230.0,
) -> str:
    """Return an SVG chart of horizontal bars, one per category (its first bar), on an x
    axis from 0 to x_max, with each bar's label after its end."""
    row_h, top, bottom, right = 34.0, 8.0, 28.0, 150.0
    height = top + bottom + row_h * len(categories)
    plot_w = WIDTH - label_width - right
    _, step = nice_max(x_max)

    def x(v: float) -> float:
        return label_width + (v / x_max) * plot_w

    out = [
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {_num(height)}" role="img"'
        f' aria-labelledby="{chart_id}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    base = top + row_h * len(categories)
    tick = 0.0
    while tick <= x_max + 1e-9:
        tx = x(tick)
        out.append(
            f'<line class="grid" x1="{_num(tx)}" x2="{_num(tx)}" y1="{_num(top)}"'
            f' y2="{_num(base)}"/><text class="tick" x="{_num(tx)}" y="{_num(base + 16)}"'
            f' text-anchor="middle">{_tick_label(tick, x_suffix)}</text>'
        )
        tick += step
    for i, cat in enumerate(categories):
        bar = cat.bars[0]
        ry = top + i * row_h
        width = x(max(0.0, bar.value or 0.0)) - label_width
        out.append(
            f'<g class="category" data-code="{escape(cat.code)}">'
            f'<text x="{_num(label_width - 8)}" y="{_num(ry + row_h / 2 + 4)}"'
            f' text-anchor="end">{escape(cat.name)}</text>'
            f'<rect class="bar" x="{_num(label_width)}" y="{_num(ry + 6)}"'
            f' width="{_num(width)}" height="{_num(row_h - 12)}" fill="{bar.colour}">'
            f"<title>{escape(bar.tooltip)}</title></rect>"
        )
        if bar.label:
            out.append(
                f'<text class="value" x="{_num(label_width + width + 6)}"'
                f' y="{_num(ry + row_h / 2 + 4)}">{escape(bar.label)}</text>'
            )
        out.append("</g>")
    out.append(
        f'<line class="axis" x1="{_num(label_width)}" x2="{_num(label_width)}"'
        f' y1="{_num(top)}" y2="{_num(base)}"/></svg>'
    )
    return "".join(out)
