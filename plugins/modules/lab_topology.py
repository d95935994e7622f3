#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the certops.microsoft.lab_topology action (the work is in plugins/action/)."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: lab_topology
short_description: Write a lab topology of the estate, to rehearse a rotation on its twin
version_added: 0.2.0
description:
  - Writes the topology of the certops lab (the C(certops-lab) Python distribution built from this collection's repository)
    that reproduces the estate the play read, so that a rotation can be rehearsed on its twin first (C(docs/rehearsal.md)).
  - The hosts, with the lab role of every product group they are in; every certificate in the stores the inventory read, as
    metadata only (subject, DNS names, validity as offsets from O(as_of), key type and size, signature hash, key usages and
    extended key usages, self-signed or not, whether the store holds the private key and whether it is exportable, the accounts
    the product reads say may read the key). The lab issues a new certificate and key with that metadata; C(source_thumbprint)
    keeps the real thumbprint. A certificate on several hosts is one certificate there too (C(copy_of)).
  - Each product's configuration, from the reads its role registered on its hosts (C(tasks_from=read) or C(estate)), with
    C(cert:<id>) standing for the twin's certificates; what the lab cannot reproduce is listed in the file's header and in
    RV(notes).
  - No password, private key or secret is read or written; the twin's hosts take the lab's own credentials.
  - C(playbooks/report.yml) runs it when C(certops_topology) is set; C(playbooks/export_topology.yml) sets it.
author:
  - certops.microsoft maintainers (@certops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - certops.microsoft.controller_report
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written; the result says whether the file would change.
options:
  results:
    description: The registered result of M(certops.microsoft.certificate_inventory) for every host to export, keyed by inventory host name.
    type: dict
    required: true
  dest:
    description: The topology file to write on the controller; a relative path is relative to the directory C(ansible-playbook) runs in.
    type: path
    default: certops-twin.yml
  as_of:
    description:
      - The instant (ISO 8601) validity offsets are computed from; default now.
      - With the same O(as_of), a second export of an unchanged estate changes nothing.
    type: str
  clock:
    description:
      - The twin's clock at its first start. V(now) starts it at the real time (the certificates then have the days left they had
        at O(as_of)); V(as_of) starts it at O(as_of) (every date exactly as read).
    type: str
    choices: [now, as_of]
    default: now
seealso:
  - module: certops.microsoft.certificate_inventory
  - module: certops.microsoft.estate_report
"""

EXAMPLES = r"""
---
- name: Write the twin of the hosts inventoried in this play
  certops.microsoft.lab_topology:
    results: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars) | map(attribute='inventory', default=None))) }}"
    dest: twin.yml
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
dest:
  description: The absolute path of the topology file.
  returned: success
  type: str
  sample: /home/admin/certops-twin.yml
hosts:
  description: How many hosts the topology has.
  returned: success
  type: int
certificates:
  description: How many distinct certificates the twin issues.
  returned: success
  type: int
products:
  description: The product sections written (C(adfs), C(entra), C(exchange), C(wfm), C(sharepoint), C(service_fabric)).
  returned: success
  type: list
  elements: str
notes:
  description: What the lab cannot reproduce of this estate, one sentence each (also in the file's header).
  returned: success
  type: list
  elements: str
"""
