# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The estate report as one self-contained HTML page, and the registry of every estate report format.

PRIVATE to the collection: the name and location may change without notice.

Inline style and script only, no request leaves the page (a Content-Security-Policy says so to the browser): it can
be attached to a ticket or kept as an AWX artifact. The table sorts by a click on a column header and filters by
text, severity and product; an inline SVG timeline shows expiries and deadlines. Every value is HTML-escaped.
"""
from __future__ import annotations

import html

from ansible_collections.certops.microsoft.plugins.module_utils._estate import first_per_thumbprint
from ansible_collections.certops.microsoft.plugins.module_utils._estate_report import worst
from ansible_collections.certops.microsoft.plugins.module_utils._estate_render import BASE_FORMATS, COLUMNS, place, row_values
from ansible_collections.certops.microsoft.plugins.module_utils._inventory_report import ReportFormat
from ansible_collections.certops.microsoft.plugins.module_utils._time import parse_iso

COLOURS = {"critical": "#c62828", "warning": "#ef6c00", "info": "#1565c0", "ok": "#2e7d32"}
STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee;cursor:pointer;user-select:none}
td.sev{font-weight:bold}.critical{color:#c62828}.warning{color:#ef6c00}.ok{color:#2e7d32}.info{color:#1565c0}
#controls{margin:1em 0}#controls *{margin-right:1em}code{font-size:12px}"""
SCRIPT = """(function(){
var table=document.getElementById('certificates'),body=table.tBodies[0],direction={};
function key(cell){var v=cell.getAttribute('data-sort');return v===null?cell.textContent:v;}
function compare(a,b){var x=Number(a),y=Number(b);return (a!==''&&b!==''&&!isNaN(x)&&!isNaN(y))?x-y:a.localeCompare(b);}
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,index){th.addEventListener('click',function(){
 direction[index]=!direction[index];var rows=Array.prototype.slice.call(body.rows);
 rows.sort(function(r,s){var c=compare(key(r.cells[index]),key(s.cells[index]));return direction[index]?c:-c;});
 rows.forEach(function(r){body.appendChild(r);});});});
var text=document.getElementById('filter'),severity=document.getElementById('severity'),product=document.getElementById('product');
function apply(){var t=text.value.toLowerCase(),s=severity.value,p=product.value;
 Array.prototype.forEach.call(body.rows,function(r){var show=(!t||r.textContent.toLowerCase().indexOf(t)>=0)&&
 (!s||r.getAttribute('data-severity')===s)&&(!p||r.getAttribute('data-product')===p);r.style.display=show?'':'none';});}
[text,severity,product].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
})();"""


def escape(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def table_row(row: dict) -> str:
    severity, values = worst(row), row_values(row)
    cells = [f'<td class="sev {severity}">{escape(severity)}</td>', f'<td data-sort="{escape(row["not_after"])}">{escape(values[1])}</td>',
             f'<td data-sort="{escape(row["days_left"] if row["days_left"] is not None else "")}">{escape(values[2])}</td>']
    cells += [f"<td>{escape(value)}</td>" for value in values[3:8]] + [f"<td><code>{escape(values[8])}</code></td>", f"<td>{escape(values[9])}</td>"]
    return f'<tr data-severity="{escape(severity)}" data-product="{escape(row["product"])}">{"".join(cells)}</tr>'


def options(values) -> str:
    return "".join(f'<option value="{escape(value)}">{escape(value or "(none)")}</option>' for value in values)


def timeline_points(document: dict) -> list:
    """(date, colour, shape, label) of every distinct expiry and every deadline."""
    points = [(row["not_after"], COLOURS[worst(row)], "circle", f"{row['not_after']} expires: {row['subject'] or row['thumbprint']} ({place(row)})")
              for row in first_per_thumbprint(document["certificates"]) if row["not_after"]]
    points += [(item["when"], "#6a1b9a", "square", f"{item['when']} {item['kind']}: {item['product']}: {item['what']}")
               for item in document["deadlines"] if item["kind"] != "expiry"]
    return sorted(points)


def timeline(document: dict) -> str:
    """An inline SVG: today on the left, the latest date on the right, one mark per expiry or deadline."""
    points = timeline_points(document)
    if not points:
        return "<p>No dates.</p>"
    start, end = parse_iso(document["as_of"]), max(parse_iso(points[-1][0]), parse_iso(document["as_of"]))
    span, width = max((end - start).total_seconds(), 1.0), 1000
    marks = []
    for index, (when, colour, shape, label) in enumerate(points):
        x = 20 + max(0.0, (parse_iso(when) - start).total_seconds()) / span * (width - 40)
        y = 30 + (index % 6) * 12
        if shape == "circle":
            marks.append(f'<circle cx="{x:.1f}" cy="{y}" r="5" fill="{colour}"><title>{escape(label)}</title></circle>')
        else:
            marks.append(f'<rect x="{x - 5:.1f}" y="{y - 5}" width="10" height="10" fill="{colour}"><title>{escape(label)}</title></rect>')
    axis = (f'<line x1="20" y1="110" x2="{width - 20}" y2="110" stroke="#555"/><text x="20" y="125" font-size="11">{escape(document["as_of"][:10])}</text>'
            f'<text x="{width - 20}" y="125" font-size="11" text-anchor="end">{escape(points[-1][0][:10])}</text>')
    return f'<svg id="timeline" viewBox="0 0 {width} 135" width="100%" role="img" aria-label="expiries and deadlines">{axis}{"".join(marks)}</svg>'


def deadline_items(document: dict) -> str:
    items = [f"<li>{escape(item['when'])} <b>{escape(item['kind'])}</b> {escape(item['product'])}: {escape(item['what'])}</li>"
             for item in document["deadlines"] if item["kind"] != "expiry"]
    return f"<ul id=\"deadlines\">{''.join(items)}</ul>" if items else "<p>No deadlines.</p>"


def page(document: dict) -> str:
    counts = document["totals"]["by_severity"]
    summary = ", ".join(f'<span class="{escape(severity)}">{count} {escape(severity)}</span>' for severity, count in counts.items())
    header = "".join(f"<th>{escape(column)}</th>" for column in COLUMNS)
    rows = "".join(table_row(row) for row in document["certificates"])
    products = sorted({row["product"] for row in document["certificates"]})
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
            f"<title>certops estate report {escape(document['as_of'])}</title><style>{STYLE}</style></head><body>"
            f"<h1>Certificate estate</h1><p>As of {escape(document['as_of'])}: {document['totals']['certificates']} certificate(s): {summary}.</p>"
            f"<h2>Timeline</h2>{timeline(document)}<h2>Deadlines</h2>{deadline_items(document)}<h2>Certificates</h2>"
            "<div id=\"controls\"><input id=\"filter\" type=\"search\" placeholder=\"filter\" aria-label=\"filter\">"
            f"<select id=\"severity\" aria-label=\"severity\"><option value=\"\">every severity</option>{options(counts)}</select>"
            f"<select id=\"product\" aria-label=\"product\"><option value=\"\">every product</option>{options(products)}</select></div>"
            f"<table id=\"certificates\"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
            f"<script>{SCRIPT}</script></body></html>\n")


ESTATE_FORMATS = {**BASE_FORMATS, "html": ReportFormat("estate.html", page)}


def render_estate(document: dict, formats) -> dict:
    """``{file name: text}`` of every format named in ``formats``."""
    return {ESTATE_FORMATS[name].file_name: ESTATE_FORMATS[name].render(document) for name in formats}
