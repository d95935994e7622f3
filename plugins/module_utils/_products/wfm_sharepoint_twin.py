# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: Workflow Manager + SharePoint as lab topology sections (module_utils/_twin.py).

The Workflow Manager group is one farm (as the role treats it); SharePoint servers group into farms by farm id, which
the twin keeps, with the realm and every trusted issuer and root authority the farms hold.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._estate import readable
from ansible_collections.certops.microsoft.plugins.module_utils._twin import DEFAULT_READERS, reference

WFM_FARM = "wfm"

# The role variables the twin takes from the inventory (never a secret).
VARIABLES = ("wfm_sharepoint_service_uri", "wfm_sharepoint_service_account")


def service_account(wfm: dict, current: str, given: str) -> str:
    """The variable when set, else the account that reads the current certificate's key (the farm's RunAs)."""
    readers = sorted(set((wfm["certificates"].get(current) or {}).get("readers") or []) - DEFAULT_READERS)
    return given or (readers[0] if readers else "")


def wfm_section(read: dict, variables: dict, context: dict) -> list:
    hosts = [host for host, (_role, state) in read.items() if "wfm" in state]
    if not hosts:
        return []
    wfm = read[hosts[0]][1]["wfm"]
    references, ids = wfm["references"], context["ids"]
    farm = {"name": WFM_FARM, "service_uri": variables.get("wfm_sharepoint_service_uri") or "https://wfm.invalid:12290/", "hosts": hosts,
            "service_account": service_account(wfm, references.get("current") or "", variables.get("wfm_sharepoint_service_account") or ""),
            "outbound_certificate": reference(references.get("current"), ids)}
    if (references.get("previous") or "").upper() in ids:
        farm["previous_certificate"] = reference(references["previous"], ids)
    if references.get("next"):
        context["notes"].append(f"Workflow Manager: the next outbound reference {references['next']} (a rotation under way) is not reproduced")
    return [farm]


def trusts(farm_id: str, entries: list, context: dict) -> list:
    """Trusts whose certificate the twin issues; the others are named in the notes (the lab needs the certificate)."""
    kept = []
    for entry in entries or []:
        if entry["thumbprint"].upper() not in context["ids"]:
            context["notes"].append(f"SharePoint farm {farm_id}: trust {entry['name']} names {entry['thumbprint']}, which no host's store "
                                    "holds; left out")
            continue
        kept.append({key: value for key, value in entry.items() if key not in ("id", "thumbprint")}
                    | {"certificate": reference(entry["thumbprint"], context["ids"])})
    return kept


def sharepoint_section(read: dict, context: dict) -> list:
    farms = {}
    for host, (_role, state) in read.items():
        if "sharepoint" in state:
            farms.setdefault(state["sharepoint"]["farm_id"], (state["sharepoint"], []))[1].append(host)
    return [{"name": f"sp{number}", "farm_id": farm_id, "hosts": hosts, "realm": farm["realm"], "workflow_farm": WFM_FARM,
             "issuers": trusts(farm_id, farm.get("issuers"), context), "root_authorities": trusts(farm_id, farm.get("authorities"), context)}
            for number, (farm_id, (farm, hosts)) in enumerate(sorted(farms.items()), 1)]


def twin(reads: dict, variables: dict, context: dict) -> dict:
    read = readable(reads)
    sections = {"wfm": wfm_section(read, variables, context)}
    if sections["wfm"]:
        sections["sharepoint"] = sharepoint_section(read, context)
    return {key: value for key, value in sections.items() if value}
