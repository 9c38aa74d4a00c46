"""The SIRO's summary as one self-contained HTML file: inline CSS, charts as inline SVG, no script and no
external reference, so it opens offline and prints. Every text is escaped; only counts and types appear."""

from __future__ import annotations

from html import escape
from typing import Any

from inventory.risks.figures import Summary
from inventory.risks.maturity import assessed, level, measured
from inventory.risks.scoring import RiskFile

CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:2em;color:#222;max-width:70em}
h1{font-size:1.6em;margin-bottom:0}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
.sub{color:#555}.figures{display:flex;flex-wrap:wrap;gap:1em}
.figure{border:1px solid #ccc;border-radius:4px;padding:.6em 1em;min-width:11em}
.figure b{display:block;font-size:1.5em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#eee}
td.n{text-align:right}.High{color:#a00;font-weight:bold}.Medium{color:#a60}.Low{color:#070}
"""
COLOURS = {0: "#8bc34a", 1: "#ffc107", 2: "#e53935"}  # by band position: low, middle, high


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"


def heat_map(heat: dict[tuple[int, int], int], book: RiskFile) -> str:
    """5x5: likelihood across, impact up; each cell coloured by its band and labelled with its open risks."""
    cell, left, top = 60, 70, 10
    names = [b.name for b in sorted(book.bands, key=lambda b: b.min)]
    parts = [
        f'<svg width="{left + 5 * cell + 10}" height="{top + 5 * cell + 50}"'
        ' role="img" aria-label="Heat map of open risks: likelihood by impact">'
    ]
    for impact in range(5, 0, -1):
        for likelihood in range(1, 6):
            x, y = left + (likelihood - 1) * cell, top + (5 - impact) * cell
            count = heat.get((likelihood, impact), 0)
            band = book.band(likelihood * impact)
            colour = COLOURS[min(2, round(2 * names.index(band) / max(1, len(names) - 1)))]
            parts.append(
                f'<g class="cell" data-likelihood="{likelihood}" data-impact="{impact}" '
                f'data-count="{count}"><rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="{colour}" stroke="#fff"/><text x="{x + cell / 2}" y="{y + cell / 2 + 7}" '
                f'text-anchor="middle" font-size="20">{count or ""}</text></g>'
            )
        parts.append(
            f'<text x="{left - 8}" y="{top + (5 - impact) * cell + cell / 2 + 5}" text-anchor="end" '
            f'font-size="13">{impact}</text>'
        )
    for likelihood in range(1, 6):
        parts.append(
            f'<text x="{left + (likelihood - 0.5) * cell}" y="{top + 5 * cell + 18}" text-anchor="middle" '
            f'font-size="13">{likelihood}</text>'
        )
    parts.append(
        f'<text x="{left + 2.5 * cell}" y="{top + 5 * cell + 40}" text-anchor="middle" font-size="13">'
        'Likelihood</text><text x="15" y="{0}" font-size="13" transform="rotate(-90 15 {0})" '
        'text-anchor="middle">Impact</text></svg>'.format(top + 2.5 * cell)
    )
    return "".join(parts)


def bars(values: dict[str, int], label: str) -> str:
    """A horizontal bar chart of counts."""
    if not values:
        return "<p>None.</p>"
    peak, width, row = max(values.values()) or 1, 300, 24
    out = [
        f'<svg width="{220 + width + 60}" height="{row * len(values) + 10}" role="img" aria-label="{escape(label)}">'
    ]
    for i, (name, n) in enumerate(values.items()):
        y = 5 + i * row
        out.append(
            f'<text x="210" y="{y + 16}" text-anchor="end" font-size="13">{escape(name)}</text>'
            f'<rect x="220" y="{y + 3}" width="{max(1, width * n / peak):.0f}" height="{row - 8}" '
            f'fill="#5c6bc0"/><text x="{225 + width * n / peak:.0f}" y="{y + 16}" font-size="13">{n:,}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{escape(title)}</th>" for _, title in columns)
    body = []
    for r in rows:
        cells = []
        for key, _ in columns:
            value = r.get(key)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            text = f"{value:,}" if numeric else escape(str(value if value is not None else "-"))
            css = f' class="{escape(str(value))}"' if key == "band" else ' class="n"' if numeric else ""
            cells.append(f"<td{css}>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def render(s: Summary, book: RiskFile, title: str = "Information risk: summary for the SIRO") -> str:
    """The whole report: one self-contained HTML page."""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{CSS}</style></head><body>{body(s, book, title)}</body></html>\n"
    )


def body(s: Summary, book: RiskFile, title: str = "Information risk: summary for the SIRO") -> str:
    """The report's content (every value escaped), for the file and for the SIRO's page in the web review."""
    h = s.headline
    figures = [
        ("Information assets", f"{h['assets']:,}"),
        ("Volume scanned", f"{size(h['bytes'])} in {h['files']:,} files"),
        ("Assets with a confirmed owner", f"{h['owned_share']:.0%} ({h['owned_assets']:,} of {h['assets']:,})"),
        ("Personal data", f"{h['personal_files']:,} files in {h['personal_assets']:,} assets"),
        ("Special-category data", f"{h['special_files']:,} files in {h['special_assets']:,} assets"),
        ("Past retention", f"{size(h['past_retention_bytes'])} in {h['past_retention_files']:,} files"),
        ("Open risks", book.describe_bands(s.bands)),
    ]
    c = s.change
    trend = {"up": "▲ worse", "down": "▼ better", "same": "= same", "new": "new"}
    top = [{**r, "trend": trend.get(r["trend"], r["trend"]), "asset": r["asset"] or "-"} for r in s.top]
    sections = [
        f"<h1>{escape(title)}</h1><p class='sub'>As at {s.now:%d %B %Y %H:%M} UTC; changes since "
        f"{s.since:%d %B %Y}.</p>",
        "<h2>Headline figures</h2><div class='figures' id='headline'>"
        + "".join(
            f"<div class='figure' data-figure='{escape(k)}'><span>{escape(k)}</span><b>{escape(v)}</b></div>"
            for k, v in figures
        )
        + "</div>",
        "<h2>Open risks by likelihood and impact</h2>" + heat_map(s.heat, book),
        "<h2>Top ten risks</h2>"
        + _table(
            top,
            [
                ("id", "ID"),
                ("title", "Risk"),
                ("owner", "Owner"),
                ("likelihood", "L"),
                ("impact", "I"),
                ("score", "Score"),
                ("band", "Band"),
                ("status", "Status"),
                ("trend", "Trend"),
            ],
        ),
        f"<h2>Change since {s.since:%d %B %Y}</h2><ul id='change'>"
        f"<li>Open risks: {c['open_then']:,} then, {c['open_now']:,} now.</li>"
        f"<li>{c['opened']:,} opened, {c['closed']:,} closed; {c['up']:,} worse and {c['down']:,} better.</li>"
        "<li>By band then: "
        + book.describe_bands(c["bands_then"])
        + "; now: "
        + book.describe_bands(c["bands_now"])
        + ".</li></ul>",
        "<h2>By service</h2>"
        + _table(
            s.services,
            [
                ("service", "Service"),
                ("assets", "Assets"),
                ("owned", "With owner"),
                ("files", "Files"),
                ("personal_files", "Personal-data files"),
                ("risks", "Open risks"),
                ("high_risks", "High"),
            ],
        ),
        "<h2>Special-category data by exposure</h2>" + bars(s.special_exposure, "Special-category files by exposure"),
        "<h2>Retention overdue by class</h2>"
        + _table(
            [{**r, "volume": size(r["bytes"])} for r in s.retention],
            [("name", "Class"), ("files", "Files"), ("volume", "Volume")],
        ),
    ]
    for m in s.maturity:
        sections.append(
            f"<h2>Maturity: {escape(m.dimension)}</h2><p class='maturity'>{escape(assessed(m))}; "
            f"{escape(measured(m))}; target {level(m.target)}: {escape(m.target_means)}.</p>"
            + _table([{"measure": k, "value": v} for k, v in m.measures], [("measure", "Measure"), ("value", "Now")])
        )
    return "".join(sections)
