"""Figures, their targets, and the markdown report."""

from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median

HTTP = "req/s"
PER_SECOND = "per s"


@dataclass(frozen=True)
class Target:
    text: str
    met: Callable[["Figure"], bool] | None = None


NO_TARGET = Target("—")


@dataclass
class Figure:
    """One measured thing: a value per run, and what it is judged against."""

    section: str
    what: str
    method: str
    unit: str = HTTP
    values: list[float] = field(default_factory=list)
    # HTTP figures: the ratio to the bare view measured around each run, and latencies.
    ratios: list[float] = field(default_factory=list)
    p95_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    queries: int | None = None
    # In-process figures: what PostgreSQL allows on one row, measured in the same run.
    limit: str = ""
    target: Target = NO_TARGET
    problems: list[str] = field(default_factory=list)  # a figure with a problem is not met
    notes: list[str] = field(default_factory=list)

    @property
    def median_ratio(self) -> float:
        return median(self.ratios)

    @property
    def median_p95(self) -> float:
        return median(self.p95_ms)

    @property
    def median_value(self) -> float:
        return median(self.values)

    def verdict(self) -> str:
        if self.problems:
            return "**no** (see problems)"
        if self.target.met is None or not self.values:
            return "—"
        return "yes" if self.target.met(self) else "**no**"


def rate_at_least(rate: float) -> Target:
    return Target(f"≥ {rate:,.0f}/s", lambda figure: figure.median_value >= rate)


def page_target(ratio: float, p95_ms: float) -> Target:
    return Target(
        f"≥ {ratio:.0%} of bare, p95 < {p95_ms:.0f} ms",
        lambda f: f.median_ratio >= ratio and f.median_p95 < p95_ms,
    )


def console_target(p95_ms: float, queries: int | None = None) -> Target:
    def met(figure: Figure) -> bool:
        fast = figure.median_p95 < p95_ms
        return fast and (queries is None or (figure.queries or 0) <= queries)

    text = f"p95 < {p95_ms:.0f} ms"
    return Target(f"≤ {queries} queries, {text}" if queries else text, met)


# --- rendering ---------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _ratio(value: float) -> str:
    return f"{value:.1%}"


def _unmeasured_row(figure: Figure, columns: int) -> str:
    cells = [figure.what, *["—"] * (columns - 3), figure.target.text, "not measured"]
    return "| " + " | ".join(cells) + " |"


def _http_row(figure: Figure) -> str:
    if not figure.values:
        return _unmeasured_row(figure, 11)
    cells = [
        figure.what,
        _number(min(figure.values)),
        _number(figure.median_value),
        _ratio(min(figure.ratios)) if figure.ratios else "—",
        _ratio(figure.median_ratio) if figure.ratios else "—",
        f"{figure.median_p95:.1f}",
        f"{max(figure.p95_ms):.1f}",
        f"{median(figure.p99_ms):.1f}",
        "—" if figure.queries is None else str(figure.queries),
        figure.target.text,
        figure.verdict(),
    ]
    return "| " + " | ".join(cells) + " |"


def _ratio_cells(figure: Figure) -> list[str]:
    if not figure.ratios:
        return ["—", "—"]
    return [_ratio(min(figure.ratios)), _ratio(figure.median_ratio)]


def _in_process_row(figure: Figure) -> str:
    if not figure.values:
        return _unmeasured_row(figure, 8)
    cells = [
        figure.what,
        _number(min(figure.values)),
        _number(figure.median_value),
        *_ratio_cells(figure),
        figure.limit or "—",
        figure.target.text,
        figure.verdict(),
    ]
    return "| " + " | ".join(cells) + " |"


HTTP_HEADER = (
    "| what | req/s min | req/s median | × bare min | × bare median | p95 ms median "
    "| p95 ms max | p99 ms median | queries | target | met? |\n"
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|"
)
IN_PROCESS_HEADER = (
    "| what | min /s | median /s | × limit min | × limit median "
    "| one-row limit, same runs (median) | target | met? |\n"
    "|---|--:|--:|--:|--:|---|---|---|"
)


def _sections(figures: list[Figure]) -> dict[str, list[Figure]]:
    sections: dict[str, list[Figure]] = {}
    for figure in figures:
        if figure.values or figure.problems:
            sections.setdefault(figure.section, []).append(figure)
    return sections


def render_tables(figures: list[Figure]) -> str:
    parts = []
    for section, members in _sections(figures).items():
        http = members[0].unit == HTTP
        header = HTTP_HEADER if http else IN_PROCESS_HEADER
        rows = [_http_row(f) if http else _in_process_row(f) for f in members]
        parts.append(f"### {section}\n\n{header}\n" + "\n".join(rows))
    return "\n\n".join(parts)


def render_methods(figures: list[Figure]) -> str:
    parts = []
    for section, members in _sections(figures).items():
        lines = "\n".join(f"- {figure.what}: {figure.method}" for figure in members)
        parts.append(f"#### {section}\n\n{lines}")
    return "\n\n".join(parts)


def render_problems(figures: list[Figure], unmeasured: list[str], notes: list[str]) -> str:
    problems = [f"- {f.what}: {problem}" for f in figures for problem in f.problems]
    problems += [f"- not measured: {what}" for what in unmeasured]
    remarks = [f"- {f.what}: {note}" for f in figures for note in f.notes]
    remarks += [f"- {note}" for note in notes]
    return (
        "Problems (a figure with one is not met):\n\n"
        + ("\n".join(problems) or "- none: every check passed")
        + "\n\nNotes:\n\n"
        + ("\n".join(remarks) or "- none")
    )


def summary(figures: list[Figure], unmeasured: list[str]) -> str:
    judged = [f for f in figures if f.target.met is not None or f.problems]
    met = [f for f in judged if f.verdict() == "yes"]
    problems = sum(len(f.problems) for f in figures) + len(unmeasured)
    return f"{len(met)} of {len(judged)} targets met; " + (
        f"{problems} problem{'s' if problems > 1 else ''} (see Checks)"
        if problems
        else "no problems"
    )


def has_problems(figures: list[Figure], unmeasured: list[str]) -> bool:
    return bool(unmeasured) or any(f.problems for f in figures)


def render_report(
    *,
    title: str,
    header: list[tuple[str, str]],
    method: list[str],
    figures: list[Figure],
    cpu: str,
    unmeasured: list[str],
    notes: list[str],
) -> str:
    """A section for docs/benchmarks.md: `##` title, facts, method, tables, checks."""
    about = "\n".join(f"- {name}: {value}" for name, value in header)
    about += f"\n- outcome: {summary(figures, unmeasured)}"
    return (
        f"## {title}\n\n"
        f"{about}\n\n"
        "### Method\n\n" + "\n\n".join(method) + "\n\n"
        f"{render_tables(figures)}\n\n"
        "### How each figure was taken\n\n"
        f"{render_methods(figures)}\n\n"
        "### Checks\n\n"
        f"{render_problems(figures, unmeasured, notes)}\n\n"
        "### Where the CPU went\n\n"
        f"{cpu}\n"
    )
