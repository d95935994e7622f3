# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan document as lines a person reads in the console (check mode, AWX job output).

PRIVATE to the collection: the name and location may change without notice.
"""
from __future__ import annotations


def _step_line(number: int, step: dict) -> str:
    return f"  {number}. {step['host']}: {step['phase']}: {step['detail']}"


def _wave_lines(steps: list, waves: list, first_number: int = 1) -> list:
    lines, number = [], first_number
    for wave in waves:
        members = [step for step in steps if step["wave"] == wave["number"]]
        how = "one host at a time, each behind a health gate" if wave["rolling"] else "hosts in parallel"
        lines.append(f" wave {wave['number']} ({how}):")
        for step in members:
            lines.append(_step_line(number, step))
            number += 1
    return lines


def _expected_lines(expected: dict) -> list:
    lines = [" verify (one read per host):"]
    for host, facts in expected.items():
        shown = "; ".join(f"{name} = {', '.join(map(str, value)) if isinstance(value, list) else value}" for name, value in facts.items())
        lines.append(f"  {host}: {shown}")
    return lines


def _cleanup_lines(document: dict, first_number: int) -> list:
    if not document["cleanup"]:
        return [" cleanup: nothing to remove"]
    head = " cleanup (only when asked, after a verified run; irreversible):"
    return [head] + _wave_lines(document["cleanup"], document["cleanup_waves"], first_number)


def _timer_lines(document: dict) -> list:
    lines = [f" wait until {wait['until']}: {wait['reason']}; then {wait['then']}" for wait in document["waits"]]
    for gate in document["manual_gates"]:
        lines.append(f" manual gate: {gate['title']}: {gate['instructions']}")
        lines.extend(f"   {name}: {value}" for name, value in gate["values"].items())
    return lines


def plan_lines(document: dict) -> list:
    """Every step in order, grouped by wave, then verify, cleanup, waits, manual gates and warnings."""
    steps = document["steps"]
    head = (f"certops plan ({document['product']}, plan v{document['version']}, {document['created']}): "
            f"{len(steps)} step(s) in {len(document['waves'])} wave(s), status {document['status']}")
    lines = [head] + (_wave_lines(steps, document["waves"]) if steps else [" nothing to change"])
    lines += _expected_lines(document["expected"]) + _cleanup_lines(document, len(steps) + 1) + _timer_lines(document)
    return lines + [f" warning: {warning}" for warning in document["warnings"]]


# --- the estate: every product's plan in the cross-product order ----------------------------------
def _dated_events(product: str, document: dict) -> list:
    """(date, line) for each wait and manual gate of one plan; a gate without a deadline sorts first (it blocks now)."""
    events = [(wait["until"], f"{product}: wait until {wait['until']}: {wait['reason']}; then {wait['then']}") for wait in document["waits"]]
    events += [(gate["deadline"], f"{product}: manual gate{' by ' + gate['deadline'] if gate['deadline'] else ''}: {gate['title']}")
               for gate in document["manual_gates"]]
    return events


def estate_plan_lines(plans: list) -> list:
    """One plan for the estate: ``plans`` is [(product, plan document or None)] in the order the products run.
    Each product's status and step count, then every wait and manual gate of the estate by date."""
    lines, events = [f"certops estate plan: {len(plans)} product(s), in this order:"], []
    for number, (product, document) in enumerate(plans, start=1):
        if document is None:
            lines.append(f" {number}. {product}: not planned (the product's play stopped before its plan; see its tasks above)")
            continue
        lines.append(f" {number}. {product}: {len(document['steps'])} step(s) in {len(document['waves'])} wave(s), "
                     f"{len(document['cleanup'])} cleanup step(s), status {document['status']}")
        events += _dated_events(product, document)
    lines.append(" waits and manual gates by date:" if events else " waits and manual gates: none")
    return lines + [f"  {line}" for _date, line in sorted(events)]


def stopped_lines(stopped: list) -> list:
    """The closing line of an estate run in which products stopped (none when every product ran)."""
    if not stopped:
        return []
    return [f"Stopped: {', '.join(stopped)}. The other products ran as planned above; fix what the failed task of each stopped "
            "product says, then run again: every product re-reads its hosts and does only what is still missing."]
