# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Ansible inventory of a running lab: one group per role, WinRM settings per transport.

The scheme is always explicit (Ansible infers https for every port but 5985), user names carry no
'@' (that would select Kerberos), https validates the server certificate against the lab CA, and
NTLM always encrypts messages.
"""
from __future__ import annotations

import os
from typing import Optional

import yaml

# transport in the topology -> (ansible_winrm_scheme, ansible_winrm_transport)
WINRM_SETTINGS = {"basic": ("http", "basic"), "https": ("https", "basic"), "ntlm": ("http", "ntlm")}


def host_vars(spec, port: int, ca_path: str) -> dict:
    scheme, transport = WINRM_SETTINGS[spec.transport]
    variables = {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_connection": "winrm",
                 "ansible_winrm_scheme": scheme, "ansible_winrm_transport": transport,
                 "ansible_user": spec.username, "ansible_password": spec.password, "certops_lab_roles": list(spec.roles)}
    if spec.transport == "https":
        variables.update(ansible_winrm_server_cert_validation="validate", ansible_winrm_ca_trust_path=ca_path)
    if spec.transport == "ntlm":
        variables["ansible_winrm_message_encryption"] = "always"
    return variables


def build_inventory(specs, ports: dict, ca_path: str, lab_vars: Optional[dict] = None) -> dict:
    """Inventory data: every host under `windows`, and a child group per role; ``lab_vars`` (the lab's
    loopback Entra endpoint, authority and CA) go to ``all`` so that plays on localhost see them too."""
    hosts = {spec.name: host_vars(spec, ports[spec.name], ca_path) for spec in specs}
    roles = {}
    for spec in specs:
        for role in spec.roles:
            roles.setdefault(role, {"hosts": {}})["hosts"][spec.name] = None
    inventory = {"all": {"children": {"windows": {"hosts": hosts, "children": dict(sorted(roles.items()))}}}}
    if lab_vars:
        inventory["all"]["vars"] = dict(lab_vars)
    return inventory


def write_inventory(path: str, specs, ports: dict, ca_path: str, lab_vars: Optional[dict] = None) -> str:
    """Write the inventory readable only by its owner (it holds the lab passwords)."""
    data = build_inventory(specs, ports, ca_path, lab_vars)
    descriptor = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("# Written by certops_lab: the simulated estate's hosts, one group per role.\n")
        yaml.safe_dump(data, handle, sort_keys=False, default_flow_style=False)
    os.replace(path + ".tmp", path)
    return path
