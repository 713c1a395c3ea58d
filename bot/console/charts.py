"""Tiny inline-SVG charts (no charting library, no CDN): stacked day bars and plain bars.

Functions return shapes with coordinates; templates draw them as <rect>/<text>.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

PALETTE = (
    "#2f6fb3",
    "#e07b39",
    "#3a9a5b",
    "#c0392b",
    "#8e6cbf",
    "#7f8c8d",
    "#d4ac0d",
    "#16a085",
    "#a04000",
)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    color: str
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    rects: list[Rect]
    labels: list[tuple[float, float, str]]  # x, y, text
    legend: list[tuple[str, str]]  # color, name


def stacked_days(
    days: list[date],
    per_day: dict[date, Counter[str]],
    labels: list[str],
    names: dict[str, str],
    width: int = 640,
    height: int = 200,
) -> Chart:
    """One stacked bar per day, a colour per label."""
    top = max((sum(per_day.get(d, Counter()).values()) for d in days), default=0) or 1
    plot_h = height - 30
    slot = width / max(len(days), 1)
    colors = {lab: PALETTE[i % len(PALETTE)] for i, lab in enumerate(labels)}
    rects: list[Rect] = []
    marks: list[tuple[float, float, str]] = []
    for i, day in enumerate(days):
        y = float(plot_h)
        counts = per_day.get(day, Counter())
        for lab in labels:
            n = counts.get(lab, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            rects.append(
                Rect(
                    i * slot + 4,
                    y,
                    slot - 8,
                    h,
                    colors[lab],
                    f"{day:%m-%d} {names.get(lab, lab)}：{n}",
                )
            )
        if i % max(len(days) // 7, 1) == 0:
            marks.append((i * slot + slot / 2, height - 10, f"{day:%m-%d}"))
    legend = [(colors[lab], names.get(lab, lab)) for lab in labels]
    return Chart(width, height, rects, marks, legend)


def bars(items: list[tuple[str, float]], width: int = 640, row: int = 22) -> Chart:
    """Horizontal bars, one per (name, value)."""
    top = max((v for _, v in items), default=0) or 1
    label_w = 140
    rects: list[Rect] = []
    marks: list[tuple[float, float, str]] = []
    for i, (name, value) in enumerate(items):
        y = i * row + 2
        w = (width - label_w - 50) * value / top
        rects.append(Rect(label_w, y, w, row - 6, PALETTE[0], f"{name}：{value:g}"))
        marks.append((4, y + row - 9, name))
        marks.append((label_w + w + 6, y + row - 9, f"{value:g}"))
    return Chart(width, max(len(items), 1) * row + 4, rects, marks, [])
