# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's loopback Microsoft Entra: OAuth 2.0 token endpoint, Microsoft Graph v1.0, AD FS federation metadata.

Started by the lab (lab.py) when the topology has a ``products: entra:`` section::

    server = GraphServer(runtime, ca, state_dir).start()
    server.base_url          # https://127.0.0.1:<port>: authority host and Graph endpoint
    server.faults.add(at_call=3, kind="throttle", seconds=2)

Modules: ``server`` (HTTPS, audit, faults), ``oauth`` (discovery, client credentials, tokens),
``api`` (Graph resources and the ``graph_route`` / ``on_application_patch`` registration hooks),
``faults`` (the Graph fault kinds), ``metadata`` (federation metadata documents).
"""
from __future__ import annotations

from certops_lab.graph.server import GraphServer

__all__ = ["GraphServer"]
