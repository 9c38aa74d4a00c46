"""The migration triage as a self-contained HTML page (inline CSS, no script, every text escaped) or an XLSX
workbook: per service and per asset, files and volume in each bucket and what each would cost a month."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import IO

from inventory.register.render import human_bytes
from inventory.reports.migration import BUCKET_NAMES, BUCKETS, Triage, monthly_cost
from inventory.risks.html import CSS


def _services(rows: list[Triage]) -> list[Triage]:
    by: dict[str, Triage] = {}
    for r in rows:
        name = r.service or "(no service recorded)"
        total = by.setdefault(name, Triage(0, name, name, None))
        for b in BUCKETS:
            total.files[b] += r.files[b]
            total.bytes[b] += r.bytes[b]
    return sorted(by.values(), key=lambda t: -t.total_bytes)


def _money(amount: float, currency: str) -> str:
    return f"under {currency}0.01" if 0 < amount < 0.005 else f"{currency}{amount:,.2f}"


def _files(n: int) -> str:
    return f"{n:,} file" + ("" if n == 1 else "s")


def _table(rows: list[Triage], first: str, price: float, currency: str) -> str:
    head = f"<tr><th>{escape(first)}</th>" + "".join(f"<th>{escape(BUCKET_NAMES[b])}</th>" for b in BUCKETS)
    head += "<th>All</th><th>Cost a month if all moved</th><th>Cost a month if only Move and Protect</th></tr>"
    body = []
    for r in rows:
        cells = "".join(
            f"<td class='n'>{_files(r.files[b])}<br>{escape(human_bytes(r.bytes[b]))}</td>" for b in BUCKETS
        )
        kept = r.bytes["protect"] + r.bytes["move"]
        body.append(
            f"<tr><td>{escape(r.asset)}</td>{cells}<td class='n'>{_files(r.total_files)}<br>"
            f"{escape(human_bytes(r.total_bytes))}</td>"
            f"<td class='n'>{escape(_money(monthly_cost(r.total_bytes, price), currency))}</td>"
            f"<td class='n'>{escape(_money(monthly_cost(kept, price), currency))}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def render_html(rows: list[Triage], price: float, currency: str, now: datetime) -> str:
    """The whole triage: headline, by service, by asset."""
    total = Triage(0, "All assets", None, None)
    for r in rows:
        for b in BUCKETS:
            total.files[b] += r.files[b]
            total.bytes[b] += r.bytes[b]
    saved = total.bytes["dispose"] + total.bytes["review"]
    headline = (
        f"<p>{_files(total.total_files)}, {escape(human_bytes(total.total_bytes))}. Disposing of what is past "
        f"retention and settling what needs review before the move leaves "
        f"{escape(human_bytes(total.total_bytes - saved))} to move, saving "
        f"{escape(_money(monthly_cost(saved, price), currency))} a month at "
        f"{escape(_money(price, currency))} per TB a month.</p>"
    )
    body = (
        f"<h1>Migration triage</h1><p class='sub'>As at {now:%d %B %Y %H:%M} UTC. Every file is in one bucket, the "
        "first that applies: dispose, review, move with protection, move.</p>"
        + headline
        + "<h2>By service</h2>"
        + _table([total, *_services(rows)], "Service", price, currency)
        + "<h2>By asset</h2>"
        + _table(rows, "Asset", price, currency)
    )
    return (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>Migration triage</title>"
        f"<style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def write_xlsx(rows: list[Triage], price: float, currency: str, out: IO[bytes]) -> None:
    """One sheet per view (by asset, by service): files and bytes per bucket, and the monthly costs."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, view, first in (("By asset", rows, "Asset"), ("By service", _services(rows), "Service")):
        sheet = book.create_sheet(title)
        header = [first, "Service", "Owner"] if view is rows else [first]
        for b in BUCKETS:
            header += [f"{BUCKET_NAMES[b]}: files", f"{BUCKET_NAMES[b]}: bytes"]
        header += ["All files", "All bytes", f"Cost a month if all moved ({currency})"]
        header += [f"Cost a month, Move and Protect only ({currency})"]
        sheet.append(header)
        for r in view:
            line: list[object] = [r.asset, r.service, r.owner] if view is rows else [r.asset]
            for b in BUCKETS:
                line += [r.files[b], r.bytes[b]]
            kept = r.bytes["protect"] + r.bytes["move"]
            line += [r.total_files, r.total_bytes, round(monthly_cost(r.total_bytes, price), 2)]
            line += [round(monthly_cost(kept, price), 2)]
            sheet.append(line)
    book.save(out)


__all__ = ["render_html", "write_xlsx"]
