# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo`'s estate of every product, and what an administrator brings to rotate it.

    demo_estate.py topology OUT          one lab topology: the four shipped product estates side by side
    demo_estate.py prepare STATE_DIR OUT the rotation variables (OUT, mode 0600): new certificates issued by
                                         the lab CA as PFX files, a Graph client secret registered on the
                                         lab tenant; the secrets are random and live only in OUT
    demo_estate.py summary STATE_DIR MARK...  module executions per host between audit marks (line numbers
                                         taken before each run, and the end), and the lab's invariant
                                         violations (the exit code is 1 when there is one)

Run with tests/lab on PYTHONPATH (tools/demo.sh does).
"""
from __future__ import annotations

import collections
import functools
import json
import os
import secrets
import sys

import yaml

from certops_lab import control
from certops_lab.issuing import issue_pfx

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPOLOGIES = os.path.join(REPO, "tests", "lab", "topologies")
PRODUCT_TOPOLOGIES = ("adfs_entra_ca.yml", "exchange.yml", "wfm_sharepoint.yml", "d365_service_fabric.yml")
ADFS_GRAPH_CLIENT = "6f6c1b8e-3c1e-4b1a-9d35-0c4f7e1d2a10"   # certops-federation in adfs_entra_ca.yml
EXCHANGE_DAYS_LEFT = "+40d"                                   # MEAC's scenario 2: stage the next Auth certificate


def load(name: str) -> dict:
    with open(os.path.join(TOPOLOGIES, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def with_host_defaults(data: dict) -> dict:
    """A file's defaults written into each of its hosts, since the merged estate has one defaults block."""
    defaults = data.get("defaults") or {}
    return {host: {**defaults, **(entry or {})} for host, entry in data["hosts"].items()}


def estate_topology() -> dict:
    merged = {"clock": "now", "defaults": {}, "hosts": {}, "products": {}}
    for name in PRODUCT_TOPOLOGIES:
        data = load(name)
        merged["hosts"].update(with_host_defaults(data))
        merged["products"].update(data["products"])
    auth = next(entry for entry in merged["hosts"]["ex01"]["certificates"] if entry.get("id") == "auth-current")
    auth["not_after"] = EXCHANGE_DAYS_LEFT
    return merged


def write_private(path: str, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def decrypting_thumbprint(call) -> str:
    """The next token-decrypting certificate already on the AD FS nodes (thumbprint mode)."""
    state = call("state", host="adfs01")
    entries = [entry for entry in state["stores"]["LocalMachine\\My"]["entries"] if "Encryption CA 2027" in entry["subject"]]
    return entries[0]["thumbprint"]


def d365_variables() -> dict:
    d365 = load("d365_service_fabric.yml")["products"]["service_fabric"]["d365"]
    return {"d365_service_fabric_infrastructure_path": d365["infrastructure_path"],
            "d365_service_fabric_old_infrastructure_path": d365["old_infrastructure_path"],
            "d365_service_fabric_localagent_config_path": d365["localagent_config_path"],
            "d365_service_fabric_localagent_cli_path": d365["localagent_cli_path"],
            "d365_service_fabric_agent_share_config_path": d365["agent_share_config_path"],
            "d365_service_fabric_sql_server": "sql.d365.lab.test", "d365_service_fabric_backup_confirmed": True,
            "d365_service_fabric_service_accounts": ["LAB\\svc-AXSF$"], "d365_service_fabric_watch_interval_seconds": 0.05}


def adfs_variables(state_dir: str, work: str, password: str, call) -> dict:
    pfx = os.path.join(work, "adfs-signing-new.pfx")
    issue_pfx(state_dir, "CN=ADFS Signing CA 2027 - sts.lab.test", pfx, password, days=730)
    secret = secrets.token_urlsafe(24)
    call("entra_add_app_credential", client_id=ADFS_GRAPH_CLIENT, certificate="", secret=secret)
    return {"adfs_entra_mode": "ca", "adfs_entra_signing_pfx_path": pfx, "adfs_entra_signing_pfx_password": password,
            "adfs_entra_decrypting_thumbprint": decrypting_thumbprint(call), "adfs_entra_relying_parties_ready": True,
            "adfs_entra_graph_client_id": ADFS_GRAPH_CLIENT, "adfs_entra_graph_client_secret": secret,
            "adfs_entra_graph_tenant_id": "{{ certops_lab_tenant_id }}", "adfs_entra_graph_endpoint": "{{ certops_lab_graph_endpoint }}",
            "adfs_entra_graph_authority_host": "{{ certops_lab_authority_host }}", "adfs_entra_graph_ca_path": "{{ certops_lab_graph_ca_path }}",
            "adfs_entra_snapshot_dir": os.path.join(work, "snapshots")}


def wfm_variables(state_dir: str, work: str, password: str) -> dict:
    pfx = os.path.join(work, "wfm-outbound-new.pfx")
    issue_pfx(state_dir, "CN=wfm.lab.test", pfx, password, dns_names=("wfm.lab.test",))
    return {"wfm_sharepoint_pfx_path": pfx, "wfm_sharepoint_pfx_password": password,
            "wfm_sharepoint_service_uri": "https://wfm.lab.test:12290/", "wfm_sharepoint_service_account": "LAB\\svc-wfm"}


def rotation_variables(state_dir: str, work: str, call=None) -> dict:
    """``call(operation, **arguments)`` reaches the lab (its control channel by default; tests pass the in-process lab's)."""
    call = call or functools.partial(control.call, state_dir)
    password = secrets.token_urlsafe(18)
    switches = {f"certops_rotate_{product}": True for product in ("adfs_entra", "exchange_auth", "wfm_sharepoint", "d365_service_fabric")}
    return {**switches, **adfs_variables(state_dir, work, password, call), **wfm_variables(state_dir, work, password), **d365_variables()}


def executions_per_host(lines: list, marks: list) -> dict:
    """{host: [executions in each run]}, the runs being the audit slices between consecutive marks."""
    counts = collections.defaultdict(lambda: [0] * (len(marks) - 1))
    for run, (start, end) in enumerate(zip(marks, marks[1:])):
        for line in lines[start:end]:
            counts[json.loads(line)["host"]][run] += 1
    return dict(sorted(counts.items()))


def summary(state_dir: str, marks: list) -> int:
    lines, violations = control.call(state_dir, "audit"), control.call(state_dir, "violations")
    print("Module executions per host (plan / rotation / second run), from the lab's audit:")
    for host, counts in executions_per_host(lines, marks).items():
        print(f"  {host:8} " + " / ".join(f"{count:3}" for count in counts))
    print(f"Invariant violations (a moment without trust, a lost key, ...): {len(violations)}")
    for violation in violations:
        print(f"  {violation}")
    return 1 if violations else 0


def main(argv: list) -> int:
    if len(argv) == 2 and argv[0] == "topology":
        with open(argv[1], "w", encoding="utf-8") as handle:
            handle.write("# The demo estate: tests/lab/topologies/{" + ",".join(PRODUCT_TOPOLOGIES) + "} side by side "
                         "(tools/demo_estate.py)\n" + yaml.safe_dump(estate_topology(), sort_keys=False))
        return 0
    if len(argv) == 3 and argv[0] == "prepare":
        work = os.path.dirname(os.path.abspath(argv[2]))
        write_private(argv[2], json.dumps(rotation_variables(argv[1], work), indent=1))
        return 0
    if len(argv) >= 3 and argv[0] == "summary":
        return summary(argv[1], [int(mark) for mark in argv[2:]])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
