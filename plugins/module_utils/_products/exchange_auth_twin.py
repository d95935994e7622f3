# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: Exchange's organisation as a lab topology section (module_utils/_twin.py).

Every Mailbox server read (site, version, the SMTP default certificate, the services enabled per certificate, CNG
keys), the servers known to AD only (no WinRM host), and AuthConfig with the servers that hold each certificate.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._estate import readable
from ansible_collections.certops.microsoft.plugins.module_utils._twin import reference

# The role variables the twin takes from the inventory (never a secret).
VARIABLES = ()


def server_entry(host: str, exchange: dict, ids: dict) -> dict:
    server = exchange.get("server") or {}
    services = [{"certificate": reference(thumbprint, ids), "services": [name for name in entry.get("services") or [] if name != "SMTP"]}
                for thumbprint, entry in sorted(exchange["certificates"].items()) if thumbprint.upper() in ids]
    return {"host": host, "site": server.get("site") or "Default-First-Site-Name", "version": server.get("version") or None,
            "edge": bool(exchange.get("edge")), "setup_key": bool(exchange.get("setup_key", True)),
            "service_host": "running" if (exchange.get("service_host") or {}).get("status", "Running") == "Running" else "stopped",
            "transport_certificate": reference(exchange.get("transport"), ids) if (exchange.get("transport") or "").upper() in ids else None,
            "services": [item for item in services if item["services"]],
            "cng_keys": [reference(thumbprint, ids) for thumbprint, entry in sorted(exchange["certificates"].items())
                         if entry.get("provider") == "CNG" and thumbprint.upper() in ids]}


def absent_servers(read: dict) -> list:
    """Servers the organisation lists that no host of the group is: known to AD only, as the lab models them."""
    computers = {state["exchange"].get("computer", "").upper() for _role, state in read.values()}
    listed = next(iter(read.values()))[1]["exchange"].get("organisation") or []
    return [{"name": server["name"], "site": server.get("site") or "Default-First-Site-Name", "edge": bool(server.get("edge"))}
            for server in listed if server["name"].upper() not in computers]


def holders(read: dict, thumbprint: str) -> list:
    return [host for host, (_role, state) in read.items() if (state["exchange"]["certificates"].get(thumbprint) or {}).get("has_key")]


def auth_config(read: dict, context: dict) -> dict:
    auth = next(iter(read.values()))[1]["exchange"].get("auth") or {}
    config = {"current": reference(auth.get("current"), context["ids"]), "current_on": holders(read, auth.get("current") or "")}
    if auth.get("next"):
        config.update(next=reference(auth["next"], context["ids"]), next_on=holders(read, auth["next"]), next_effective=auth.get("next_effective"))
    if auth.get("previous"):
        config["previous"] = auth["previous"]
    return config


def twin(reads: dict, variables: dict, context: dict) -> dict:
    read = {host: item for host, item in readable(reads).items() if "exchange" in item[1]}
    if not read:
        return {}
    if any(state["exchange"].get("hybrid") for _role, state in read.values()):
        context["notes"].append("Exchange: the hybrid configuration is not reproduced (the twin has no Exchange hybrid application)")
    servers = [{key: value for key, value in server_entry(host, state["exchange"], context["ids"]).items() if value not in (None, [])}
               for host, (_role, state) in read.items()]
    return {"exchange": {"organisation": "Exchange", "servers": servers + absent_servers(read), "auth_config": auth_config(read, context)}}
