"""Charts drawn on the server as inline SVG: no script, no inline style (the site's
Content-Security-Policy allows neither). Geometry goes in SVG attributes, colours and type
in static/css/console-dashboard.css through the classes set here; every text is escaped.

Each chart is an image with a title and a description for screen readers, and each mark
carries a <title> with its exact value (a tooltip); the page puts a data table beside it.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
LEFT, RIGHT, TOP, BOTTOM = 76, 16, 32, 40  # room for the axes' ticks and labels
COLUMN_HEIGHT = 300
# Bar rows are narrower, so that they fit a phone's width without scrolling.
ROWS_WIDTH, ROW_HEIGHT, LABEL_WIDTH, VALUE_WIDTH, ROWS_TOP = 520, 32, 150, 100, 8
LABEL_CHARACTERS = 10  # a longer store or reviewer name is cut; the table has it whole


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence  # numbers, or None where there is nothing to show
    css: str  # "series-<css>" colours the marks and the legend's swatch
    texts: Sequence[str] | None = None  # how each value reads, when not the plain number


def column_chart(
    *, chart_id, title, description, categories, series, axis_label, tick_text=str
) -> SafeString:
    """Columns grouped by category (a week), one per series, against a value axis from 0."""
    height = COLUMN_HEIGHT
    top, step = nice_scale(_largest(series))
    scale = _Scale(top=top, base=height - BOTTOM)
    band = (WIDTH - LEFT - RIGHT) / len(categories)
    bar = band * 0.8 / len(series)
    marks = []
    for index in range(len(categories)):
        for number, line in enumerate(series):
            value = line.values[index] or 0
            y = scale.y(value)
            marks.append(
                _tag(
                    "rect",
                    {
                        "class": f"bar series-{line.css}",
                        "x": _n(LEFT + band * index + band * 0.1 + bar * number),
                        "y": _n(y),
                        "width": _n(bar),
                        "height": _n(scale.base - y),
                    },
                    _title(categories[index], line, index),
                )
            )
    parts = [
        _value_axis(scale, step, axis_label, tick_text),
        *marks,
        _category_axis(categories, band, height),
    ]
    return _svg(chart_id, title, description, height, parts)


def line_chart(
    *, chart_id, title, description, categories, series, axis_label, target, target_label
) -> SafeString:
    """Lines through each category's value (a gap where it is None), and a target line."""
    height = COLUMN_HEIGHT
    top, step = nice_scale(max(_largest(series), target))
    scale = _Scale(top=top, base=height - BOTTOM)
    band = (WIDTH - LEFT - RIGHT) / len(categories)
    target_y = scale.y(target)
    parts = [
        _value_axis(scale, step, axis_label, str),
        _tag(
            "line",
            {
                "class": "target",
                "x1": LEFT,
                "x2": WIDTH - RIGHT,
                "y1": _n(target_y),
                "y2": _n(target_y),
            },
            format_html("<title>{}</title>", target_label),
        ),
    ]
    for line in series:
        points = [
            (LEFT + band * (index + 0.5), scale.y(value), index)
            for index, value in enumerate(line.values)
            if value is not None
        ]
        for run in _runs(points):
            if len(run) > 1:
                coordinates = " ".join(f"{_n(x)},{_n(y)}" for x, y, _index in run)
                parts.append(
                    _tag("polyline", {"class": f"line series-{line.css}", "points": coordinates})
                )
        parts.extend(
            _tag(
                "circle",
                {"class": f"dot series-{line.css}", "cx": _n(x), "cy": _n(y), "r": 4},
                _title(categories[index], line, index),
            )
            for x, y, index in points
        )
    parts.append(_category_axis(categories, band, height))
    return _svg(chart_id, title, description, height, parts)


def bar_rows(*, chart_id, title, description, labels, series) -> SafeString:
    """Horizontal bars, a row per label (a store, a reviewer), one bar per series in it."""
    height = ROWS_TOP + ROW_HEIGHT * len(labels) + 8
    largest = _largest(series) or 1
    room = ROWS_WIDTH - RIGHT - VALUE_WIDTH - LABEL_WIDTH
    thickness = (ROW_HEIGHT - 8) / len(series)
    parts = []
    for row, label in enumerate(labels):
        y = ROWS_TOP + ROW_HEIGHT * row
        shown = label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"
        parts.append(
            _tag(
                "text",
                {
                    "class": "row-label",
                    "x": LABEL_WIDTH - 8,
                    "y": _n(y + ROW_HEIGHT / 2),
                    "text-anchor": "end",
                    "dominant-baseline": "middle",
                },
                format_html("{}<title>{}</title>", shown, label),
            )
        )
        for number, line in enumerate(series):
            value = line.values[row] or 0
            bar_y = y + 4 + thickness * number
            width = room * float(value) / float(largest)
            parts.append(
                _tag(
                    "rect",
                    {
                        "class": f"bar series-{line.css}",
                        "x": LABEL_WIDTH,
                        "y": _n(bar_y),
                        "width": _n(width),
                        "height": _n(thickness - 2),
                    },
                    _title(label, line, row),
                )
            )
            parts.append(
                _tag(
                    "text",
                    {
                        "class": "value-label",
                        "x": _n(LABEL_WIDTH + width + 6),
                        "y": _n(bar_y + thickness / 2),
                        "dominant-baseline": "middle",
                    },
                    _text(line, row),
                )
            )
    parts.append(
        _tag(
            "line",
            {
                "class": "axis",
                "x1": LABEL_WIDTH,
                "x2": LABEL_WIDTH,
                "y1": ROWS_TOP - 4,
                "y2": height - 8,
            },
        )
    )
    return _svg(chart_id, title, description, height, parts, width=ROWS_WIDTH, css="chart-rows")


def nice_scale(largest, ticks: int = 4) -> tuple[float, float]:
    """The axis's top and step: a step of 1, 2 or 5 × 10ⁿ (whole numbers at least), about
    `ticks` steps up to the largest value."""
    largest = float(largest)
    if largest <= 0:
        return float(ticks), 1.0
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)
    return step * math.ceil(largest / step), step


# --- the parts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    top: float  # the value at the top of the plot
    base: float  # the y of the value 0

    def y(self, value) -> float:
        return self.base - (self.base - TOP) * float(value) / self.top


def _value_axis(scale: _Scale, step, axis_label, tick_text: Callable) -> SafeString:
    """The axis's label, then a grid line and a tick label at every step from 0 to the top."""
    parts = [_tag("text", {"class": "axis-label", "x": 4, "y": 14}, axis_label)]
    for index in range(round(scale.top / step) + 1):
        value = step * index
        y = scale.y(value)
        parts.append(
            _tag(
                "line",
                {
                    "class": "grid" if index else "axis",
                    "x1": LEFT,
                    "x2": WIDTH - RIGHT,
                    "y1": _n(y),
                    "y2": _n(y),
                },
            )
        )
        tick = int(value) if value == int(value) else value
        parts.append(
            _tag(
                "text",
                {
                    "class": "tick",
                    "x": LEFT - 6,
                    "y": _n(y),
                    "text-anchor": "end",
                    "dominant-baseline": "middle",
                },
                tick_text(tick),
            )
        )
    return _join(parts)


def _category_axis(categories, band, height) -> SafeString:
    """A label under each category; every other one, counted from the latest, is "minor"
    (the stylesheet hides those where the chart is drawn small)."""
    last = len(categories) - 1
    return _join(
        _tag(
            "text",
            {
                "class": "tick tick-minor" if (last - index) % 2 else "tick",
                "x": _n(LEFT + band * (index + 0.5)),
                "y": height - BOTTOM + 20,
                "text-anchor": "middle",
            },
            category,
        )
        for index, category in enumerate(categories)
    )


def _svg(chart_id, title, description, height, parts, width=WIDTH, css="chart-weeks") -> SafeString:
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        css,
        width,
        _n(height),
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        _join(parts),
    )


def _title(category, line: Series, index: int) -> SafeString:
    return format_html("<title>{} · {}: {}</title>", category, line.label, _text(line, index))


def _text(line: Series, index: int) -> str:
    if line.texts is not None:
        return line.texts[index]
    value = line.values[index]
    return "—" if value is None else str(value)


def _tag(name: str, attributes: dict, content="") -> SafeString:
    return format_html("<{}{}>{}</{}>", name, flatatt(attributes), content, name)


def _join(parts) -> SafeString:
    return mark_safe("".join(parts))  # noqa: S308 (every part was built by format_html)


def _runs(points):
    """Consecutive points, split where a category had no value."""
    run = []
    for point in points:
        if run and point[2] != run[-1][2] + 1:
            yield run
            run = []
        run.append(point)
    if run:
        yield run


def _largest(series) -> float:
    return max((float(v) for line in series for v in line.values if v is not None), default=0)


def _n(number) -> str:
    """A coordinate: one decimal at most."""
    return f"{float(number):.1f}".removesuffix(".0")
