"""The run report: one self-contained HTML page people look at (`crmsync report --html FILE`).

It reads the warehouse (read only) and shows, for the last runs, what each object and direction
created, updated, deleted, failed and met as conflicts (a chart per object and direction and
tables), the recent sync log (`sync_log_recent`), the latest plan's conflicts with the base and
both sides' values (`sync_conflicts`), the records it skipped with the reason (`sync_plan`,
action `skip`), the users without a counterpart (`unmapped_users`), the mass-change breaker's
figures (`sync_guard`), what the latest reconcile runs found (`sync_reconcile`) and the API
calls each run sent to each side (`sync_api_calls`).

The page needs no network: the style sheet is inline and the charts are SVG that pygal draws
here, inlined without script or URL. Every value comes from customers' CRMs, so the template
escapes everything (autoescape; pygal escapes the charts' text). The file is written
owner-only: it holds customer records like the warehouse it comes from.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import pygal
from crmsync_common.objects import OBJECTS
from markupsafe import Markup
from pygal.etree import etree as pygal_etree
from pygal.style import Style

from crmsync import warehouse
from crmsync.settings import SafetySettings, SettingsError, load_settings
from crmsync.steps import SIDE_NAMES, exceeds

#: How many recent runs the charts and run tables cover by default.
DEFAULT_RUNS = 20
REPORT_SUFFIX = ".report.html"
#: Longer cell values (error messages, field values) are cut on the page, the rest folded.
CLIP_CHARS = 240
#: The counts of `sync_stats`, in the order the charts stack them.
WRITE_KINDS = ("created", "updated", "deleted", "failed")
COUNT_KINDS = (*WRITE_KINDS, "conflicts")
DIRECTION_NAMES = {
    "sf_to_fm": "Salesforce → ForceManager",
    "fm_to_sf": "ForceManager → Salesforce",
}
#: The counts of `sync_api_calls` per run and side, stacked in this order in its chart.
CALL_KINDS = ("auth", "reads", "writes")
CALL_COUNTS = (*CALL_KINDS, "retried", "calls")
SIDE_ORDER = ("salesforce", "forcemanager")
#: What a reconcile run can find (`sync_reconcile.kind`), in the order the page lists them.
RECONCILE_KINDS = ("missed change", "hard delete", "missing partner", "drift")
#: How many reconcile runs (those that found something) the page counts, and how many findings
#: of the latest one it lists.
RECONCILE_RUNS = 5
RECONCILE_FINDINGS = 100
#: Each kind's colour, in the charts, their legends and the page's tiles.
COLOURS = {
    "created": "#2f9e5f",
    "updated": "#3b78c9",
    "deleted": "#7d8590",
    "failed": "#d1453b",
    "conflicts": "#e09a1a",
    "auth": "#8e6bbf",
    "reads": "#3b78c9",
    "writes": "#2f9e5f",
}
#: The charts (pygal): 400 x 190 like the page's figures, no legend (the page has one), no
#: script (pygal's default fetches its tooltips script from a CDN); a bar's `<title>` is its
#: tooltip.
CHART_CONFIG = pygal.Config(
    width=400,
    height=190,
    margin=4,
    margin_top=14,
    spacing=6,
    show_legend=False,
    show_x_guides=False,
    show_minor_x_labels=False,
    print_values=False,
    print_labels=True,
    print_values_position="top",
    truncate_label=-1,
    js=[],
    classes=["chart"],
    disable_xml_declaration=True,
)
CHART_STYLE = {
    "background": "transparent",
    "plot_background": "transparent",
    "foreground": "#6b7280",
    "foreground_strong": "#1f2430",
    "foreground_subtle": "#9aa1ab",
    "font_family": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
    "label_font_size": 10,
    "major_label_font_size": 10,
    "value_font_size": 10,
    "value_label_font_size": 10,
    "guide_stroke_color": "#e3e6eb",
    "major_guide_stroke_color": "#e3e6eb",
    "guide_stroke_dasharray": "none",
    "major_guide_stroke_dasharray": "none",
    "opacity": "1",
    "opacity_hover": ".8",
    "stroke_opacity": "1",
    "stroke_opacity_hover": "1",
    "transition": "0s",
}

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("crmsync", "templates"),
    autoescape=True,  # every value comes from a CRM
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_path(warehouse_file: Path | None = None) -> Path:
    """Where a cycle writes the report: `<warehouse>.report.html`, beside the warehouse."""
    return Path(f"{warehouse_file or warehouse.warehouse_path()}{REPORT_SUFFIX}")


# -- the figures ------------------------------------------------------------------------------
@dataclass
class Run:
    """One run of `sync_stats`: its number on the page (1 = oldest shown) and its totals."""

    number: int
    run_id: str
    started: datetime | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KINDS, 0))


@dataclass
class Chart:
    """One object and direction over the runs shown: its totals and its chart (inline SVG, only
    when something changed: the page lists the quiet ones by name)."""

    object: str
    direction: str
    totals: dict[str, int]
    svg: Markup | None = None

    @property
    def changed(self) -> bool:
        """Whether anything was written or met a conflict in the runs shown."""
        return any(self.totals.values())


@dataclass
class CallChart:
    """The API calls to one side over the runs shown, and their chart (inline SVG)."""

    side: str
    totals: dict[str, int]
    svg: Markup


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


class _RunBars(pygal.StackedBar):
    """pygal's stacked bars with two changes to its internals: a value of None draws nothing
    (pygal's stacked bars draw an empty bar for it, as for a zero, and most counts are zeros:
    each value drawn costs time and page), and the second bar beside each (the secondary series)
    keeps the scale of the first (`secondary_range`) instead of one fitted to its own values."""

    _adapters = ()

    def _pre_compute_secondary(self, positive_vals: Any, negative_vals: Any) -> None:
        self._secondary_min, self._secondary_max = self.secondary_range


def _without_script(title: str) -> Callable[[Any], Any]:
    """A pygal XML filter: drops the configuration script pygal always writes, the data its
    script's tooltips read (`<desc>`) and its comments (its credits, with their URLs), and names
    the chart `title`."""

    def clean(root: Any) -> Any:
        for parent in list(root.iter()):  # root.iter() yields root first
            for child in list(parent):
                if child.tag is pygal_etree.Comment or child.tag in {"desc", "script"}:
                    parent.remove(child)
        for child in root:
            if child.tag == "title":
                child.text = title
        root.set("role", "img")
        root.set("aria-label", title)
        return root

    return clean


def _bar_chart(
    title: str,
    runs: Sequence[Run],
    per_run: Sequence[dict[str, int]],
    stacked: Sequence[str],
    *,
    described: Sequence[str],
    beside: str | None = None,
) -> Markup:
    """A bar per run, stacked by the `stacked` kinds with their total above, and the `beside`
    kind as a second bar on the same scale (left out when it is zero in every run); each bar's
    tooltip gives the run's `described` counts. Server-side SVG, without script or URL."""
    totals = [sum(row[kind] for kind in stacked) for row in per_run]
    if beside is not None and not any(row[beside] for row in per_run):
        beside = None
    kinds = [*stacked, *([beside] if beside else [])]
    top = _nice_max(max([*totals, *(row[beside] for row in per_run if beside)], default=0))
    labels = [f"#{run.number}" for run in runs]
    chart = _RunBars(
        CHART_CONFIG,
        style=Style(**CHART_STYLE, colors=tuple(COLOURS[kind] for kind in kinds)),
        range=(0, top),
        secondary_range=(0, top),
        y_labels=[0, top // 2, top] if top % 2 == 0 else [0, top],
        x_labels=labels,
        # past 12 runs every other label, the latest's always
        x_labels_major=[
            label
            for number, label in enumerate(labels, start=1)
            if len(labels) <= 12 or number % 2 == len(labels) % 2
        ],
    )
    chart.add_xml_filter(_without_script(title))
    tooltips = [
        f"Run #{run.number} ({_when(run.started)} UTC): "
        + ", ".join(f"{kind} {row[kind]}" for kind in described)
        for run, row in zip(runs, per_run, strict=True)
    ]
    # the total is printed above the topmost segment of each bar
    tops = [next((k for k in reversed(stacked) if row[k]), None) for row in per_run]
    for kind in kinds:
        chart.add(
            kind,
            [
                {
                    "value": row[kind] or None,  # no bar
                    "tooltip": tooltip,
                    "label": str(total) if kind == top_kind else None,
                }
                for row, tooltip, total, top_kind in zip(
                    per_run, tooltips, totals, tops, strict=True
                )
            ],
            secondary=kind == beside,
        )
    return Markup(chart.render(is_unicode=True))  # noqa: S704 - pygal escapes every text


def _chart(
    obj: str, direction: str, runs: Sequence[Run], counts: dict[str, dict[str, int]]
) -> Chart:
    chart = Chart(object=obj, direction=direction, totals=dict.fromkeys(COUNT_KINDS, 0))
    per_run = [counts.get(run.run_id, dict.fromkeys(COUNT_KINDS, 0)) for run in runs]
    for row in per_run:
        for kind in COUNT_KINDS:
            chart.totals[kind] += row[kind]
    if chart.changed:
        title = f"{obj}, {DIRECTION_NAMES.get(direction, direction)}: changes per run"
        chart.svg = _bar_chart(
            title, runs, per_run, WRITE_KINDS, described=COUNT_KINDS, beside="conflicts"
        )
    return chart


def _calls_chart(side: str, runs: Sequence[Run], counts: dict[str, dict[str, int]]) -> CallChart:
    totals = dict.fromkeys(CALL_COUNTS, 0)
    per_run = [counts.get(run.run_id, dict.fromkeys(CALL_COUNTS, 0)) for run in runs]
    for row in per_run:
        for kind in CALL_COUNTS:
            totals[kind] += row[kind]
    title = f"{SIDE_NAMES.get(side, side)}: API calls per run"
    return CallChart(
        side, totals, _bar_chart(title, runs, per_run, CALL_KINDS, described=CALL_COUNTS)
    )


def _api_calls(
    connection: duckdb.DuckDBPyConnection, runs: Sequence[Run]
) -> tuple[list[dict[str, Any]] | None, list[CallChart]]:
    """Per run shown and side, the API calls of `main.sync_api_calls` (None before it exists),
    and a chart per side."""
    if not warehouse.table_exists(connection, "main", "sync_api_calls"):
        return None, []
    numbers = {run.run_id: run for run in runs}
    rows = _rows(
        connection,
        "select run_id, side, "
        + ", ".join(f"sum({kind}) as {kind}" for kind in CALL_COUNTS)
        + " from main.sync_api_calls group by run_id, side",
    )
    cells: dict[str, dict[str, dict[str, int]]] = {}
    table = []
    for row in rows:
        if row["run_id"] not in numbers:
            continue
        counts = {kind: int(row[kind] or 0) for kind in CALL_COUNTS}
        cells.setdefault(row["side"], {})[row["run_id"]] = counts
        table.append({"run": numbers[row["run_id"]], "side": row["side"], "counts": counts})
    table.sort(key=lambda r: (-r["run"].number, _side_key(r["side"])))
    sides = sorted(cells, key=_side_key)
    return table, [_calls_chart(side, runs, cells[side]) for side in sides]


@dataclass
class ReconcileRun:
    """A reconcile run that found something: its findings per kind, and per object and side."""

    run_id: str
    started: datetime | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECONCILE_KINDS, 0))
    #: One row per object and side: {"object", "side", "counts": {kind: n}, "total"}.
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _reconcile(connection: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """What the latest reconcile runs found (`main.sync_reconcile`; None before the first
    reconcile): the newest `RECONCILE_RUNS` runs' counts per object, side and kind, and the
    latest run's first `RECONCILE_FINDINGS` findings. A run that found nothing adds no row, so
    it is not among them. Runs are ordered by their start in `sync_stats`."""
    if not warehouse.table_exists(connection, "main", "sync_reconcile"):
        return None
    started = (
        "(select run_id, min(run_started_at) as started from main.sync_stats group by run_id)"
        if warehouse.table_exists(connection, "main", "sync_stats")
        else "(select null::varchar as run_id, null::timestamp as started where false)"
    )
    recent = (
        "select found.run_id, any_value(runs.started) as started "
        f"from main.sync_reconcile as found left join {started} as runs using (run_id) "
        "group by found.run_id order by started desc nulls last, found.run_id desc limit ?"
    )
    rows = _rows(
        connection,
        f"with recent as ({recent}) "
        "select found.run_id, recent.started, found.object, found.side, found.kind, "
        "count(*) as findings "
        "from main.sync_reconcile as found inner join recent using (run_id) "
        "group by all order by recent.started desc nulls last, found.run_id desc",
        [RECONCILE_RUNS],
    )
    runs: dict[str, ReconcileRun] = {}
    cells: dict[str, dict[tuple[str, str], dict[str, int]]] = {}
    for row in rows:
        run = runs.setdefault(row["run_id"], ReconcileRun(row["run_id"], row["started"]))
        run.counts[row["kind"]] = run.counts.get(row["kind"], 0) + row["findings"]
        counts = cells.setdefault(run.run_id, {}).setdefault(
            (row["object"], row["side"]), dict.fromkeys(RECONCILE_KINDS, 0)
        )
        counts[row["kind"]] = counts.get(row["kind"], 0) + row["findings"]
    for run in runs.values():
        for (obj, side), counts in sorted(
            cells[run.run_id].items(),
            key=lambda item: (_object_key(item[0][0]), _side_key(item[0][1])),
        ):
            run.rows.append(
                {"object": obj, "side": side, "counts": counts, "total": sum(counts.values())}
            )
    latest = next(iter(runs.values()), None)
    findings = []
    if latest is not None:
        findings = _rows(
            connection,
            "select object, side, kind, salesforce_id, forcemanager_id "
            "from main.sync_reconcile where run_id = ? "
            "order by coalesce(list_position(?, object), 1000), object, "
            "coalesce(list_position(?, kind), 1000), kind, side desc, "
            "salesforce_id, forcemanager_id limit ?",
            [latest.run_id, list(OBJECTS), list(RECONCILE_KINDS), RECONCILE_FINDINGS],
        )
    return {
        "runs": list(runs.values()),
        "latest": latest,
        "findings": findings,
        "left_out": (latest.total if latest else 0) - len(findings),
    }


def _side_key(side: str) -> tuple[int, str]:
    return (SIDE_ORDER.index(side) if side in SIDE_ORDER else len(SIDE_ORDER), side)


def _rows(
    connection: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, list(params))
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _table(
    connection: duckdb.DuckDBPyConnection, table: str, sql: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]] | None:
    """The rows of `sql` over `main.<table>`, or None when the table does not exist yet."""
    if not warehouse.table_exists(connection, "main", table):
        return None
    return _rows(connection, sql, params)


def _object_key(name: str) -> tuple[int, str]:
    return (OBJECTS.index(name) if name in OBJECTS else len(OBJECTS), name)


def _safety() -> tuple[SafetySettings, str | None]:
    """The breaker's limits from the settings file (the defaults, with a note, if unreadable)."""
    try:
        return load_settings().safety, None
    except SettingsError as exc:
        return SafetySettings(), f"the settings file could not be read ({exc}): default limits"


def collect(connection: duckdb.DuckDBPyConnection, *, runs: int = DEFAULT_RUNS) -> dict[str, Any]:
    """Read everything the page shows from an open warehouse connection."""
    stats = _table(
        connection,
        "sync_stats",
        "with recent as ("
        "  select run_id, min(run_started_at) as started from main.sync_stats"
        "  group by run_id order by started desc nulls last, run_id desc limit ?"
        ") select s.run_id, recent.started, s.object, s.direction, "
        "  s.created, s.updated, s.deleted, s.failed, s.conflicts "
        "from main.sync_stats as s inner join recent on recent.run_id = s.run_id "
        "order by recent.started nulls first, s.run_id",
        [runs],
    )
    run_list: list[Run] = []
    by_run: dict[str, Run] = {}
    # (object, direction) -> run_id -> counts
    cells: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
    for row in stats or ():
        run = by_run.get(row["run_id"])
        if run is None:
            run = Run(len(run_list) + 1, row["run_id"], row["started"])
            by_run[run.run_id] = run
            run_list.append(run)
        counts = {kind: int(row[kind] or 0) for kind in COUNT_KINDS}
        cells.setdefault((row["object"], row["direction"]), {})[run.run_id] = counts
        for kind in COUNT_KINDS:
            run.counts[kind] += counts[kind]
    pairs = sorted(cells, key=lambda pair: (_object_key(pair[0]), pair[1] != "sf_to_fm"))
    charts = [_chart(obj, direction, run_list, cells[(obj, direction)]) for obj, direction in pairs]
    totals = dict.fromkeys(COUNT_KINDS, 0)
    for chart in charts:
        for kind in COUNT_KINDS:
            totals[kind] += chart.totals[kind]

    log = _table(
        connection,
        "sync_log_recent",
        "select synced_at, run_id, object, action, direction, salesforce_id, forcemanager_id, "
        "status, error_code, error_message from main.sync_log_recent "
        "order by synced_at desc",
    )
    conflicts = _table(
        connection,
        "sync_conflicts",
        "select run_id, object, salesforce_id, forcemanager_id, field, base_salesforce, "
        "salesforce_value, base_forcemanager, forcemanager_value, resolved_value "
        "from main.sync_conflicts order by object, salesforce_id, field",
    )
    for conflict in conflicts or ():
        conflict["winner"] = _winner(conflict)
    skips = _table(
        connection,
        "sync_plan",
        "select run_id, object, direction, salesforce_id, forcemanager_id, skip_reason "
        "from main.sync_plan where action = 'skip' "
        "order by object, direction, salesforce_id, forcemanager_id",
    )
    unmapped = _table(
        connection,
        "unmapped_users",
        "select system, user_id, full_name, records_owned from main.unmapped_users "
        "order by system desc, records_owned desc, full_name, user_id",
    )
    guard = _table(
        connection,
        "sync_guard",
        "select sync_mode, object, side, live_records, planned_creates, planned_updates, "
        "planned_deletes from main.sync_guard order by object_order, side desc",
    )
    api_calls, call_charts = _api_calls(connection, run_list)
    reconcile = _reconcile(connection)
    safety, safety_note = _safety()
    for row in guard or ():
        row["side_name"] = SIDE_NAMES.get(row["side"], row["side"])
        row["deletes_over"] = exceeds(
            row["planned_deletes"],
            row["live_records"],
            safety.max_delete_share,
            safety.min_delete_count,
        )
        row["updates_over"] = exceeds(
            row["planned_updates"],
            row["live_records"],
            safety.max_update_share,
            safety.min_update_count,
        )
    return {
        "runs": list(reversed(run_list)),  # newest first in the tables
        "chart_runs": run_list,
        "runs_asked": runs,
        "run_numbers": {run.run_id: run.number for run in run_list},
        "latest": run_list[-1] if run_list else None,
        "charts": charts,
        "totals": totals,
        "log": log,
        "log_failed": sum(1 for row in log or () if row["status"] != "success"),
        "conflicts": conflicts,
        "skips": skips,
        "unmapped": unmapped,
        "guard": guard,
        "api_calls": api_calls,
        "call_charts": call_charts,
        "reconcile": reconcile,
        "guard_initial": any(row["sync_mode"] == "initial" for row in guard or ()),
        "guard_tripped": any(row["deletes_over"] or row["updates_over"] for row in guard or ()),
        "safety": safety,
        "safety_note": safety_note,
    }


def _winner(conflict: dict[str, Any]) -> str:
    """Which side's value the plan wrote (Salesforce's, by the rule; told from the values)."""
    resolved = conflict["resolved_value"]
    if resolved == conflict["salesforce_value"]:
        return "Salesforce"
    if resolved == conflict["forcemanager_value"]:
        return "ForceManager"
    return "Salesforce"  # written in ForceManager's form (a lookup, a picklist value)


# -- the page ---------------------------------------------------------------------------------
def _clip(value: Any, limit: int = CLIP_CHARS) -> tuple[str, str]:
    """A value as shown (cut at `limit` characters) and the rest, which the page folds."""
    text = "" if value is None else str(value)
    return (text, "") if len(text) <= limit else (text[:limit], text[limit:])


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value)


TEMPLATES.filters["clip"] = _clip
TEMPLATES.filters["when"] = _when
TEMPLATES.globals.update(
    COLOURS=COLOURS,
    DIRECTION_NAMES=DIRECTION_NAMES,
    COUNT_KINDS=COUNT_KINDS,
    WRITE_KINDS=WRITE_KINDS,
    CALL_KINDS=CALL_KINDS,
    CALL_COUNTS=CALL_COUNTS,
    SIDE_NAMES=SIDE_NAMES,
    RECONCILE_KINDS=RECONCILE_KINDS,
)


def render(
    warehouse_file: Path | None = None,
    *,
    runs: int = DEFAULT_RUNS,
    generated_at: datetime | None = None,
) -> str:
    """The report page for the warehouse (by default `CRMSYNC_WAREHOUSE`).

    A missing warehouse, or one no run has reported to yet, gives a page that says so.
    """
    path = warehouse_file or warehouse.warehouse_path()
    if path.exists():
        with warehouse.connect(path, read_only=True) as connection:
            data = collect(connection, runs=runs)
    else:  # never created: read as an empty warehouse, without creating the file
        with duckdb.connect() as connection:
            data = collect(connection, runs=runs)
    return TEMPLATES.get_template("report.html.j2").render(
        **data,
        warehouse_name=path.name,
        generated_at=_when(generated_at or datetime.now(UTC)),
    )


def write(
    target: Path | None = None,
    *,
    warehouse_file: Path | None = None,
    runs: int = DEFAULT_RUNS,
) -> Path:
    """Write the report to `target` (by default `<warehouse>.report.html`), owner-only.

    The page replaces the previous one at once (written beside it, then renamed), so a reader
    never sees half a page; what a killed write left beside it is removed first (cycles never
    overlap).
    """
    page = render(warehouse_file, runs=runs)
    target = target or report_path(warehouse_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.*"):
        leftover.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(handle, 0o600)  # customer records: the owner's only, whatever the umask
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(page)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
