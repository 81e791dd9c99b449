"""History bar charts as inline SVG (no script, no request): category colours, local labels, empty slots shown."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from data.i18n import translate
from monitoring.public_snapshot import HistoryPoint, category
from monitoring.public_text import level_text

WIDTH, HEIGHT = 360, 150
TOP, BOTTOM, LEFT, RIGHT = 14, 30, 28, 14
EMPTY_COLOUR = "#DDDDDD"


def bar_chart(
    points: Sequence[HistoryPoint], labels: Sequence[str], scale: str, language: str, *, title: str, label_every: int
) -> str:
    """An ``<svg>`` of ``points`` (one bar per slot, ``labels`` below every ``label_every``-th slot).

    A slot without a value is drawn as an empty outline at the base line, so a gap reads as "no data", never
    as a low value.
    """
    values = [p.aqi for p in points if p.aqi is not None]
    top = max([100, *values])
    plot_h = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(1, len(points))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#888"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" font-size="9">{top}</text>',
        f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" text-anchor="end" font-size="9">0</text>',
    ]
    no_value = translate("public.no_data", language)
    for index, (point, label) in enumerate(zip(points, labels, strict=True)):
        x = LEFT + index * step + step * 0.12
        width = step * 0.76
        if point.aqi is None or point.level is None:
            parts.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - 3}" width="{width:.1f}" height="3" fill="{EMPTY_COLOUR}">'
                f"<title>{escape(label)}: {escape(no_value)}</title></rect>"
            )
        else:
            height = max(1.0, plot_h * min(point.aqi, top) / top)
            colour = category(scale, point.level).hex  # type: ignore[arg-type]
            tip = f"{label}: {point.aqi} {level_text(scale, point.level, language)}"
            parts.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{colour}" stroke="#555" stroke-width=".4"><title>{escape(tip)}</title></rect>'
            )
        if index % label_every == 0 or index == len(points) - 1:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM + 12}" text-anchor="middle" font-size="9">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
