# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: the Exchange Auth certificate's part of the estate report (module_utils/_estate.py).

AuthConfig's current, next and previous certificates on every Mailbox server that holds them; the date the AuthAdmin
servicelet publishes a staged next certificate by itself; the latest date to stage a new one (MEAC stages 60 days
ahead with an effective date 30 days later); for a hybrid organisation, the hybrid application's key.
"""
from __future__ import annotations

import datetime

from ansible_collections.certops.microsoft.plugins.module_utils._estate import deadline, der_row, product_estate, readable
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z, parse_iso

PRODUCT = "exchange_auth"
WARN_DAYS = 60
STAGE_AHEAD_DAYS = 30


def server_rows(host: str, exchange: dict, now) -> list:
    rows = []
    for role in ("current", "next", "previous"):
        entry = exchange["certificates"].get(exchange["auth"].get(role) or "")
        if entry and entry.get("der"):
            rows.append(der_row(PRODUCT, role, entry["der"], now, WARN_DAYS, host=host, store="LocalMachine\\My", location="AuthConfig"))
    return rows


def organisation_deadlines(exchange: dict, rows: list) -> list:
    found = []
    if exchange["auth"].get("next") and exchange["auth"].get("next_effective"):
        found.append(deadline(PRODUCT, "automatic", exchange["auth"]["next_effective"], "the AuthAdmin servicelet publishes the next Auth "
                              "certificate (within about 12 hours of this date)", thumbprint=exchange["auth"]["next"]))
    current = next((row for row in rows if row["role"] == "current"), None)
    if current and current["not_after"] and not exchange["auth"].get("next"):
        latest = iso_z(parse_iso(current["not_after"]) - datetime.timedelta(days=STAGE_AHEAD_DAYS))
        what = "stage the next Auth certificate (certops.microsoft.exchange_auth)"
        found.append(deadline(PRODUCT, "human", latest, what + (" and put its key on the hybrid application" if exchange.get("hybrid") else ""),
                              thumbprint=current["thumbprint"]))
    return found


def estate(params: dict, reads: dict, context: dict) -> dict:
    read = readable(reads)
    rows = [row for host, (_role, state) in read.items() if "exchange" in state for row in server_rows(host, state["exchange"], context["now"])]
    first = next((state["exchange"] for _host, (_role, state) in read.items() if "exchange" in state), None)
    return product_estate(PRODUCT, reads, rows, organisation_deadlines(first, rows) if first else [])
