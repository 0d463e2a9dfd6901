"""The scale run's tables (Markdown), targets against measurements, and plots (SVG).

`markdown` and `plot` read the raw result `benchmarks.scale.run_scale` writes
(``scale.json``), so the tables and curves of a finished run can be redrawn:

    python -m benchmarks.scale_report benchmarks/results/<stamp>/scale.json docs/images
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.scale_build import ADK_SQLITE, OURS

NAMES = {OURS: "adk-sqlite", ADK_SQLITE: "ADK SqliteSessionService"}
# The compacted sessions' workloads, by the compaction that shaped them.
COMPACTIONS = {"compacted": "sliding window", "compacted-token": "token threshold"}
COMPACTION_COLOURS = {"compacted": "#1f77b4", "compacted-token": "#2ca02c"}
COLOURS = {OURS: "#1f77b4", ADK_SQLITE: "#d62728"}
TITLES = {
    "page": "newest page of 50 sessions (ADK: the whole listing; it has no pages)",
    "append": "append_event p50 / p99",
    "recent": "newest 20 events (get_session, num_recent_events=20)",
    "full": "full get_session",
    "compacted": "get_session with the compaction option",
    "rss": "peak RSS of a full read (MiB the read adds; process peak)",
}


def _results(raw: dict[str, Any], workload: str, backend: str) -> list[dict[str, Any]]:
    return sorted(
        (r for r in raw["results"] if r["workload"] == workload and r["backend"] == backend),
        key=lambda r: (r.get("among", 0), r["size"]),
    )


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _cell(result: dict[str, Any] | None, key: str, spread: str | None = None) -> str:
    if result is None:
        return "not run"
    if result.get("dnf"):
        return f"did not finish ({result['limit_s']:.0f} s)"
    if result.get("skipped"):
        return f"not run: {result['skipped']}"
    if result.get("checks"):
        return "**WRONG: " + "; ".join(result["checks"]) + "**"
    text = _fmt(result[key])
    if spread and result.get("samples") == 1:
        text += " (one call)"
    elif spread and spread in result:
        text += f" ({_fmt(result[spread])})"
    return text


def _value(result: dict[str, Any] | None, key: str) -> float | None:
    if result is None or result.get("dnf") or result.get("checks") or key not in result:
        return None
    value: float = result[key]
    return value


def _by_size(raw: dict[str, Any], workload: str, backend: str) -> dict[Any, dict[str, Any]]:
    return {(r.get("among"), r["size"]): r for r in _results(raw, workload, backend)}


def _comparison(
    raw: dict[str, Any], workload: str, size_title: str, key: str, spread: str | None, unit: str
) -> list[str]:
    """size | ours | ADK's | ADK's / ours."""
    ours = _by_size(raw, workload, OURS)
    theirs = _by_size(raw, workload, ADK_SQLITE)
    suffix = f" {unit}" + (" (p99)" if spread else "")
    lines = [
        f"| {size_title} | adk-sqlite{suffix} | ADK SqliteSessionService{suffix} | ADK / ours |",
        "|---|---|---|---|",
    ]
    for where in sorted(set(ours) | set(theirs), key=lambda k: (k[0] or 0, k[1])):
        among, size = where
        label = f"{size:,}" + (f" among {among:,}" if among else "")
        mine, other = _value(ours.get(where), key), _value(theirs.get(where), key)
        ratio = f"{other / mine:.1f}x" if mine and other else "n/a"
        lines.append(
            f"| {label} | {_cell(ours.get(where), key, spread)}"
            f" | {_cell(theirs.get(where), key, spread)} | {ratio} |"
        )
    return lines


def _compacted_table(raw: dict[str, Any], workload: str) -> list[str]:
    lines = [
        "| events of history | with the option ms (p99) | without it ms | events returned |",
        "|---|---|---|---|",
    ]
    for r in _results(raw, workload, OURS):
        if _value(r, "median_ms") is None:
            lines.append(f"| {r['size']:,} | {_cell(r, 'median_ms')} | | |")
            continue
        without = r.get("without_option_ms")
        lines.append(
            f"| {r['size']:,} | {_cell(r, 'median_ms', 'p99_ms')}"
            f" | {_fmt(without) if without else 'n/a'}"
            f" | {r['events_returned']:,} of {r['events_total']:,} |"
        )
    return lines


def _flatness(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    if len(known) < 2 or len(known) != len(values) or not known[0]:
        return None
    return known[-1] / known[0]


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "**missed**")


def targets(raw: dict[str, Any]) -> list[str]:
    """The issue's targets, each against what this run measured."""
    rows = ["| workload | target | measured | |", "|---|---|---|---|"]

    def ours(workload: str, key: str, among: int | None = None) -> list[tuple[int, float | None]]:
        return [
            (r["size"], _value(r, key))
            for r in _results(raw, workload, OURS)
            if r.get("among") == among
        ]

    page = ours("page", "median_ms")
    if page:
        ratio = _flatness([v for _, v in page])
        last = page[-1][1]
        met = None if ratio is None or last is None else ratio <= 1.5 and last < 2
        measured = (
            f"{page[-1][0]:,}: {_fmt(last or 0)} ms; {page[0][0]:,}: {_fmt(page[0][1] or 0)} ms"
            f" ({ratio:.2f}x)"
            if ratio is not None
            else "incomplete"
        )
        rows.append(
            f"| newest page of 50 | flat (largest within 1.5x of smallest), under 2 ms"
            f" | {measured} | {_verdict(met)} |"
        )
    users = [r for r in _results(raw, "user", OURS) if _value(r, "median_ms") is not None]
    if users:
        rows.append(_user_target(users))
    appends = list(_results(raw, "append", OURS))
    if appends:
        p50 = _flatness([_value(r, "p50_ms") for r in appends])
        p99 = _flatness([_value(r, "p99_ms") for r in appends])
        met = None if p50 is None or p99 is None else p50 <= 1.3 and p99 <= 1.3
        measured = (
            f"{appends[-1]['size']:,} events vs {appends[0]['size']:,}: p50 {p50:.2f}x,"
            f" p99 {p99:.2f}x"
            if p50 is not None and p99 is not None
            else "incomplete"
        )
        rows.append(f"| append_event p50/p99 | flat within 1.3x | {measured} | {_verdict(met)} |")
    recent = ours("recent", "median_ms")
    if recent:
        known = [v for _, v in recent if v is not None]
        ratio = _flatness([v for _, v in recent])
        met = None if len(known) != len(recent) else max(known) < 1
        measured = ", ".join(f"{size:,}: {_fmt(v)} ms" for size, v in recent if v is not None)
        if ratio is not None:
            measured += f" ({ratio:.2f}x)"
        rows.append(f"| newest 20 events | flat, under 1 ms | {measured} | {_verdict(met)} |")
    full = _by_size(raw, "full", OURS)
    if full:
        theirs = _by_size(raw, "full", ADK_SQLITE)
        ratios = []
        for where, result in sorted(full.items(), key=lambda item: item[0][1]):
            mine, other = _value(result, "median_ms"), _value(theirs.get(where), "median_ms")
            if mine and other:
                ratios.append((where[1], other / mine))
        met = bool(ratios) and all(ratio >= 5 for _, ratio in ratios)
        measured = ", ".join(f"{size:,}: {ratio:.1f}x" for size, ratio in ratios) or "n/a"
        rows.append(
            f"| full get_session | linear; >= 5x ADK's at every size it finishes"
            f" | {measured} | {_verdict(met if ratios else None)} |"
        )
    token = _results(raw, "compacted-token", OURS)
    sliding = _results(raw, "compacted", OURS)
    if token or sliding:
        rows.append(_compacted_target(token, sliding))
    exports = list(_results(raw, "export", OURS))
    if exports and not any(r.get("skipped") for r in exports):
        rate = _flatness([_value(r, "events_per_s") for r in exports])
        rss = _flatness([_value(r, "peak_rss_mib") for r in exports])
        met = None if rate is None or rss is None else rate >= 1 / 1.3 and rss <= 1.2
        measured = (
            f"{exports[-1]['size']:,} vs {exports[0]['size']:,} events: rate {rate:.2f}x,"
            f" peak RSS {rss:.2f}x"
            if rate is not None and rss is not None
            else "incomplete"
        )
        rows.append(
            "| export to PostgreSQL | rate flat (not below 1/1.3), peak RSS flat (within 1.2x)"
            f" | {measured} | {_verdict(met)} |"
        )
    rss_rows = _by_size(raw, "rss", OURS)
    if rss_rows:
        theirs = _by_size(raw, "rss", ADK_SQLITE)
        pairs = []
        for where, result in sorted(rss_rows.items(), key=lambda item: item[0][1]):
            mine, other = _value(result, "read_rss_mib"), _value(theirs.get(where), "read_rss_mib")
            if mine is not None and other:
                pairs.append((where[1], mine / other))
        met = bool(pairs) and all(ratio <= 1.2 for _, ratio in pairs)
        measured = ", ".join(f"{size:,}: {ratio:.2f}x ADK's" for size, ratio in pairs) or "n/a"
        rows.append(
            "| peak RSS of a full read | within 1.2x of ADK's (MiB the read adds)"
            f" | {measured} | {_verdict(met if pairs else None)} |"
        )
    return rows


def _compacted_target(token: list[dict[str, Any]], sliding: list[dict[str, Any]]) -> str:
    """Flat, judged on the token-threshold sessions: each summary contains every earlier one,
    so ADK's request holds one summary whatever the history. A sliding window's summaries
    each reach the model, so that read grows with the history; it is shown beside."""

    def growth(results: list[dict[str, Any]]) -> tuple[float | None, str]:
        ratio = _flatness([_value(r, "median_ms") for r in results])
        if ratio is None:
            return None, "incomplete"
        returned = f"{results[0]['events_returned']:,} -> {results[-1]['events_returned']:,} events"
        return ratio, (
            f"{results[-1]['size']:,} vs {results[0]['size']:,}: {ratio:.2f}x ({returned})"
        )

    ratio, measured = growth(token) if token else (None, "not run")
    parts = [f"token threshold: {measured}"]
    if sliding:
        parts.append(
            f"sliding window: {growth(sliding)[1]}, grows by ADK's design (every summary"
            " reaches the model)"
        )
    met = None if ratio is None else ratio <= 1.5
    return (
        "| get_session with the compaction option | flat (largest within 1.5x of smallest),"
        f" on token-threshold compaction | {'; '.join(parts)} | {_verdict(met)} |"
    )


def _user_target(users: list[dict[str, Any]]) -> str:
    """Linear in the user's sessions only: as many sessions cost the same among 1k or 1M,
    and ten times the sessions cost at most ~10x."""
    tables = sorted({r["among"] for r in users})
    by = {(r["among"], r["size"]): r["median_ms"] for r in users}
    smallest, largest = tables[0], tables[-1]
    shared = sorted(size for among, size in by if among == smallest and (largest, size) in by)
    parts = []
    met = True
    for size in shared[:1]:
        ratio = by[(largest, size)] / by[(smallest, size)]
        parts.append(f"{size} sessions among {largest:,} vs among {smallest:,}: {ratio:.2f}x")
        met = met and ratio <= 1.5
    counts = sorted(size for among, size in by if among == largest)
    for low, high in itertools.pairwise(counts):
        growth = by[(largest, high)] / by[(largest, low)]
        parts.append(f"{low}->{high} sessions: {growth:.1f}x")
        met = met and growth <= (high / low) * 1.5
    return (
        "| all of one user's sessions | linear in the user's sessions only (the same count"
        " within 1.5x among 1k or 1M; 10x the sessions at most ~10x the time)"
        f" | {'; '.join(parts)} | {_verdict(met)} |"
    )


def markdown(raw: dict[str, Any]) -> str:
    """Every table of a run: builds, one per workload, then the targets."""
    machine = raw["machine"]
    load = ", ".join(f"{value:.1f}" for value in machine["load_average_at_end"])
    lines = [
        f"Scale run ({raw['preset']} sizes): {machine['cpus']} cores, {machine['platform']},"
        f" Python {machine['python']}, SQLite {machine['sqlite']}, google-adk"
        f" {machine['google_adk']}; builds {raw['build_s']:.0f} s, measurements"
        f" {raw['measure_s']:.0f} s; load average at the end {load}.",
        "",
        "Databases (built with SQL from a template session the service wrote; 'cached': built"
        " by an earlier run):",
        "",
        "| backend | layout | size | sessions | events | build s | MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for build in raw["builds"]:
        seconds = "cached" if build["build_s"] is None else f"{build['build_s']:.1f}"
        lines.append(
            f"| {NAMES[build['backend']]} | {build['layout']} | {build['size']:,}"
            f" | {build['sessions']:,} | {build['events']:,} | {seconds} | {build['mib']:,.0f} |"
        )
    sections: list[tuple[str, Callable[[], list[str]]]] = [
        (
            "Newest page of 50 sessions (adk-sqlite: `list_sessions(page_size=50,"
            " newest_first=True)`; ADK: `list_sessions(app_name)`, the whole listing)",
            lambda: _comparison(raw, "page", "sessions", "median_ms", "p99_ms", "ms"),
        ),
        (
            "All of one user's sessions (`list_sessions(app_name, user_id)`)",
            lambda: _comparison(raw, "user", "user's sessions", "median_ms", "p99_ms", "ms"),
        ),
        (
            "`append_event` p50 (p99) into a database of N events",
            lambda: _comparison(raw, "append", "events in the database", "p50_ms", "p99_ms", "ms"),
        ),
        (
            "Newest 20 events (`GetSessionConfig(num_recent_events=20)`)",
            lambda: _comparison(
                raw, "recent", "events in the session", "median_ms", "p99_ms", "ms"
            ),
        ),
        (
            "Full `get_session`",
            lambda: _comparison(raw, "full", "events in the session", "median_ms", "p99_ms", "ms"),
        ),
        (
            "`get_session` of a session compacted by a sliding window (a compaction every 10"
            " invocations, summarising them and the one before), adk-sqlite with"
            " `skip_compacted_events=True` (ADK has no such option: its reads are the full"
            " `get_session` above)",
            lambda: _compacted_table(raw, "compacted"),
        ),
        (
            "`get_session` of a session compacted by a token threshold (a compaction every 10"
            " invocations, each containing every earlier one; a state delta every other"
            " answer), adk-sqlite with `skip_compacted_events=True`",
            lambda: _compacted_table(raw, "compacted-token"),
        ),
        (
            "Peak RSS of a full read, fresh process: MiB the read adds (the process's peak)",
            lambda: _comparison(
                raw, "rss", "events in the session", "read_rss_mib", "peak_rss_mib", "MiB"
            ),
        ),
    ]
    for title, table in sections:
        lines += ["", title + ":", "", *table()]
    exports = _results(raw, "export", OURS)
    if exports:
        lines += [
            "",
            "Export to PostgreSQL (`export_to_postgres`, a fresh schema each time):",
            "",
            "| events | seconds | events/s | peak RSS MiB | RSS the export added MiB |",
            "|---|---|---|---|---|",
        ]
        for r in exports:
            if r.get("skipped") or r.get("checks") or r.get("dnf"):
                cell = _cell(r, "events_per_s")
                lines.append(f"| {r['size']:,} | {cell} | | | |")
            else:
                lines.append(
                    f"| {r['size']:,} | {_fmt(r['seconds'])} | {_fmt(r['events_per_s'])}"
                    f" | {_fmt(r['peak_rss_mib'])} | {_fmt(r['export_rss_mib'])} |"
                )
    lines += ["", "Targets (adk-sqlite):", "", *targets(raw)]
    return "\n".join(lines) + "\n"


# Plots.


def _series(raw: dict[str, Any], workload: str, backend: str, key: str, among: Any = None) -> Any:
    points = [
        (r["size"], _value(r, key))
        for r in _results(raw, workload, backend)
        if r.get("among") == among
    ]
    return [size for size, v in points if v is not None], [v for _, v in points if v is not None]


def _dnf(raw: dict[str, Any], workload: str, backend: str) -> list[int]:
    return [r["size"] for r in _results(raw, workload, backend) if r.get("dnf")]


def plot(raw: dict[str, Any], folder: Path, kind: str = "svg") -> list[Path]:
    """The curves as files named ``scale-<workload>.svg`` (or another ``kind``) in ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "adk-sqlite-scale"  # stable ids: diffable files
    matplotlib.rcParams["svg.fonttype"] = "none"
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(figure: Any, name: str) -> None:
        figure.tight_layout()
        path = folder / f"scale-{name}.{kind}"
        figure.savefig(path, format=kind, metadata={"Date": None} if kind == "svg" else None)
        plt.close(figure)
        written.append(path)

    def curves(
        axes: Any,
        workload: str,
        key: str,
        *,
        backends: tuple[str, ...] = (OURS, ADK_SQLITE),
        style: str = "o-",
        label_suffix: str = "",
        among: Any = None,
    ) -> None:
        for backend in backends:
            xs, ys = _series(raw, workload, backend, key, among)
            if xs:
                axes.plot(xs, ys, style, color=COLOURS[backend],
                          label=NAMES[backend] + label_suffix)  # fmt: skip
            for size in _dnf(raw, workload, backend):
                axes.axvline(size, color=COLOURS[backend], linestyle=":", linewidth=1)
                axes.annotate("did not finish", (size, 0.5), xycoords=("data", "axes fraction"),
                              rotation=90, color=COLOURS[backend], fontsize=8)  # fmt: skip

    def finish(axes: Any, xlabel: str, ylabel: str, title: str, *, logy: bool = True) -> None:
        axes.set_xscale("log")
        if logy:
            axes.set_yscale("log")
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        axes.set_title(title, fontsize=10)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)

    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    curves(axes, "page", "median_ms")
    axes.axhline(2, color="grey", linestyle="--", linewidth=1, label="target: 2 ms")
    finish(axes, "sessions in the database", "ms (median)", TITLES["page"])
    save(figure, "page")

    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    tables = sorted({r["among"] for r in raw["results"] if r["workload"] == "user"})
    for style, among in zip(("o-", "s--", "^-.", "d:"), tables, strict=False):
        curves(axes, "user", "median_ms", style=style, label_suffix=f", among {among:,}",
               among=among)  # fmt: skip
    finish(axes, "the user's sessions", "ms (median)", "all of one user's sessions")
    save(figure, "user")

    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    curves(axes, "append", "p50_ms", label_suffix=" p50")
    curves(axes, "append", "p99_ms", style="s--", label_suffix=" p99")
    finish(axes, "events in the database", "ms per append_event", TITLES["append"])
    save(figure, "append")

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    curves(left, "recent", "median_ms")
    left.axhline(1, color="grey", linestyle="--", linewidth=1, label="target: 1 ms")
    finish(left, "events in the session", "ms (median)", "newest 20 events")
    curves(right, "full", "median_ms")
    finish(right, "events in the session", "ms (median)", "full get_session")
    save(figure, "reads")

    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    for workload, shape in COMPACTIONS.items():
        for key, style, read in (("median_ms", "o-", "skipping compacted"),
                                 ("without_option_ms", "s--", "every event")):  # fmt: skip
            xs, ys = _series(raw, workload, OURS, key)
            if xs:
                axes.plot(xs, ys, style, color=COMPACTION_COLOURS[workload],
                          label=f"{shape}, {read}")  # fmt: skip
        for size in _dnf(raw, workload, OURS):
            axes.axvline(size, color=COMPACTION_COLOURS[workload], linestyle=":", linewidth=1)
            axes.annotate(f"{shape}: did not finish", (size, 0.5),
                          xycoords=("data", "axes fraction"), rotation=90,
                          color=COMPACTION_COLOURS[workload], fontsize=8)  # fmt: skip
    finish(axes, "events of history", "ms (median)", TITLES["compacted"])
    save(figure, "compacted")

    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    curves(axes, "rss", "read_rss_mib", label_suffix=": added by the read")
    curves(axes, "rss", "peak_rss_mib", style="s--", label_suffix=": process peak")
    finish(axes, "events in the session", "MiB", "peak RSS of a full read (fresh process)")
    save(figure, "rss")

    exports = [r for r in _results(raw, "export", OURS) if _value(r, "events_per_s")]
    if exports:
        figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
        sizes = [r["size"] for r in exports]
        left.plot(sizes, [r["events_per_s"] for r in exports], "o-", color=COLOURS[OURS],
                  label="adk-sqlite export")  # fmt: skip
        finish(left, "events exported", "events/s", "export to PostgreSQL: rate", logy=False)
        left.set_ylim(bottom=0)
        right.plot(sizes, [r["peak_rss_mib"] for r in exports], "o-", color=COLOURS[OURS],
                   label="adk-sqlite export")  # fmt: skip
        finish(right, "events exported", "MiB", "export: peak RSS of the process", logy=False)
        right.set_ylim(bottom=0)
        save(figure, "export")
    return written


if __name__ == "__main__":
    result = json.loads(Path(sys.argv[1]).read_text())
    print(markdown(result))
    for written in plot(result, Path(sys.argv[2]) if len(sys.argv) > 2 else Path(".")):
        print(written, file=sys.stderr)
