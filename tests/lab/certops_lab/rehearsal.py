# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The variables of a rehearsal (docs/rehearsal.md): the user's own rotation variables, made to reach the twin.

- every thumbprint of the real estate (``source_thumbprint`` in the exported topology) becomes the twin's thumbprint
  of that certificate (twin-thumbprints.json, written at the first ``up``);
- each product group variable names the lab's group of that role;
- a Graph app the twin's tenant has gets a fresh client secret, and the roles reach the loopback Entra (the lab's
  inventory variables) instead of Microsoft's; a real secret or certificate given for Graph is dropped.
The result is written with mode 0600: it holds the lab secret and whatever secrets the user's file held.
"""
from __future__ import annotations

import json
import os
import secrets

import yaml

from certops_lab import control
from certops_lab.lab import TWIN_THUMBPRINTS_FILE

LAB_GROUPS = {"adfs_entra_adfs_group": "adfs", "exchange_auth_group": "exchange", "wfm_sharepoint_wfm_group": "wfm",
              "wfm_sharepoint_sharepoint_group": "sharepoint", "d365_service_fabric_group": "sf_node"}
GRAPH_PREFIXES = ("adfs_entra_graph_", "exchange_auth_graph_")
LAB_GRAPH = {"tenant_id": "{{ certops_lab_tenant_id }}", "endpoint": "{{ certops_lab_graph_endpoint }}",
             "authority_host": "{{ certops_lab_authority_host }}", "ca_path": "{{ certops_lab_graph_ca_path }}",
             "certificate_path": "", "certificate_thumbprint": "", "certificate_password": ""}


def translated(value, mapping: dict, seen: list):
    """``value`` with every string that is a real thumbprint replaced by the twin's (``seen`` collects them)."""
    if isinstance(value, dict):
        return {key: translated(item, mapping, seen) for key, item in value.items()}
    if isinstance(value, list):
        return [translated(item, mapping, seen) for item in value]
    if isinstance(value, str) and value.strip().upper() in mapping:
        seen.append(value.strip().upper())
        return mapping[value.strip().upper()]
    return value


def graph_variables(state_dir: str, variables: dict, call=control.call) -> dict:
    """A fresh secret for each Graph client the user's variables name that the twin's tenant has, and the lab's endpoints."""
    found = {}
    for prefix in GRAPH_PREFIXES:
        client = str(variables.get(f"{prefix}client_id") or "")
        if not client:
            continue
        secret = secrets.token_urlsafe(24)
        try:
            call(state_dir, "entra_add_app_credential", client_id=client, certificate="", secret=secret)
        except control.ControlError as error:
            print(f"Graph client {client}: not registered in the twin's tenant ({error}); its product cannot reach Graph")
            continue
        found.update({f"{prefix}{key}": value for key, value in LAB_GRAPH.items()}, **{f"{prefix}client_secret": secret})
    return found


def load_variables(path: str) -> dict:
    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if text.startswith("$ANSIBLE_VAULT"):
        raise ValueError(f"{path} is vault-encrypted: give the rehearsal a decrypted copy (it stays on this machine, mode 0600)")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path} is not YAML or JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a variables file is a mapping of variable names to values")
    return data


def write_twin_variables(state_dir: str, source: str, dest: str, call=control.call) -> str:
    """Write the rehearsal's variables; return a one-line account of what changed."""
    with open(os.path.join(state_dir, TWIN_THUMBPRINTS_FILE), encoding="utf-8") as handle:
        mapping = json.load(handle)
    seen: list = []
    variables = translated(load_variables(source), mapping, seen)
    graph = graph_variables(state_dir, variables, call)
    variables.update(LAB_GROUPS, **graph)
    descriptor = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(variables, handle, indent=1)
    return (f"{dest}: {len(set(seen))} real thumbprint(s) now name the twin's certificates; "
            f"{'Graph reaches the twin tenant' if graph else 'no Graph client'}; product groups are the lab's")
