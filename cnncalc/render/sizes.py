"""`cnncalc sizes`: an InputSizes (cnncalc/sizes.py) as lines of text or as JSON."""

from __future__ import annotations

import json
from typing import Any

from ..sizes import MAX_SCAN, AxisSizes, Check, InputSizes
from .columns import csv_table, prose
from .values import SCHEMA_VERSION, printable

FORMATS = ("table", "json", "csv", "markdown")
CSV_KEYS = (
    "axis", "smallest", "period", "from", "works_residues", "keeps_residues", "works_below",
    "keeps_below", "near_works", "near_keeps",
)


def sizes_json(result: InputSizes) -> dict[str, Any]:
    near = result.near
    return {
        "schema_version": SCHEMA_VERSION,
        "name": result.name,
        "axes": [
            {
                "axis": a.axis,
                "smallest": a.smallest,
                "period": a.period,
                "from": a.regime,
                "works_residues": list(a.works_residues),
                "keeps_residues": list(a.keeps_residues),
                "works_below": [n for n in range(a.smallest or 1, a.regime) if a.checks[n].works],
                "keeps_below": [
                    n for n in range(a.smallest or 1, a.regime) if a.checks[n].keeps_pixels
                ],
                "near": None
                if near is None
                else {"works": a.near(near, 5, keeps=False), "keeps": a.near(near, 5, keeps=True)},
            }
            for a in result.axes
        ],
    }


def sizes_lines(result: InputSizes) -> list[str]:
    near = result.near
    lines = [f"{printable(result.name)}: input sizes, each axis with the other at its default"]
    for axis, answer in enumerate(result.axes):
        probed = result.probes[axis]
        if axis == 1 and result.same:
            lines.append("width: the same as height")
            if probed is not None and probed.reason:
                lines.append(f"  {near}: {probed.reason}")
            continue
        other = ("width", "height")[axis]
        lines.append(f"{answer.axis} ({other} {result.input[2 - axis]}):")
        lines.extend(f"  {line}" for line in describe(answer, near, probed))
    return lines


def sizes_csv(result: InputSizes) -> str:
    """One row per axis under the JSON's keys (`near` split in two); a list of sizes is written
    with spaces between them."""
    rows = []
    for axis in sizes_json(result)["axes"]:
        near = axis.pop("near") or {}
        axis["near_works"], axis["near_keeps"] = near.get("works"), near.get("keeps")
        rows.append(
            [
                "" if v is None else " ".join(map(str, v)) if isinstance(v, list) else str(v)
                for v in (axis[k] for k in CSV_KEYS)
            ]
        )
    return csv_table(CSV_KEYS, rows)


def sizes_markdown(result: InputSizes) -> str:
    """The text's lines as Markdown: the heading in bold, each axis a list."""
    first, *rest = sizes_lines(result)
    lines = [f"**{first}**", ""]
    for line in rest:
        lines.append(f"  - {line.strip()}" if line.startswith("  ") else f"- {line}")
    return "\n".join(lines) + "\n"


def render_sizes(result: InputSizes, fmt: str, console: Any) -> str:
    if fmt == "json":
        return json.dumps(sizes_json(result), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return sizes_csv(result)
    if fmt == "markdown":
        return sizes_markdown(result)
    return prose(sizes_lines(result), console)


def residues_text(residues: tuple[int, ...], period: int, start: int) -> str:
    if len(residues) == period:
        return f"every size from {start}"
    if not residues:
        return f"no size from {start} on"
    listed = ", ".join(str(r) for r in residues)
    return f"sizes ≡ {listed} (mod {period}) from {start}"


def describe(sizes: AxisSizes, near: int | None, probe: Check | None = None) -> list[str]:
    """Plain-text lines for one axis."""
    if sizes.smallest is None:
        last = sizes.checks[max(sizes.checks)]
        return [f"no {sizes.axis} from 1 to {MAX_SCAN} works: {last.reason}"]
    lines = [f"smallest {sizes.axis} that works: {sizes.smallest}"]
    early = [n for n in range(sizes.smallest, sizes.regime) if sizes.checks[n].works]
    works = residues_text(sizes.works_residues, sizes.period, sizes.regime)
    if len(early) == sizes.regime - sizes.smallest and len(sizes.works_residues) == sizes.period:
        works = f"every size from {sizes.smallest}"
    elif early:
        works = f"{_ranges(early)}, and {works}"
    lines.append(f"works (every output at least 1, merges agree, centered crops exact): {works}")
    early_keeps = [n for n in range(sizes.smallest, sizes.regime) if sizes.checks[n].keeps_pixels]
    keeps = residues_text(sizes.keeps_residues, sizes.period, sizes.regime)
    if early_keeps:
        keeps = f"{_ranges(early_keeps)}, and {keeps}"
    lines.append(f"keeps every pixel (no layer drops a real pixel): {keeps}")
    if near is not None:
        works_near = sizes.near(near, 5, keeps=False)
        keeps_near = sizes.near(near, 5, keeps=True)
        lines.append(
            f"near {near}: works {_listing(works_near)}; "
            f"keeps every pixel {_listing(keeps_near)}"
        )
        if probe is not None and probe.reason:
            lines.append(f"{near}: {probe.reason}")
    return lines


def _listing(values: list[int]) -> str:
    return ", ".join(map(str, values)) if values else "none nearby"


def _ranges(values: list[int]) -> str:
    parts, start, prev = [], values[0], values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(str(start) if start == prev else f"{start}..{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(parts)
