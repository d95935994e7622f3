# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test data for the Exchange product tests: the shipped topology built in memory, with scenario tweaks."""
from __future__ import annotations

import copy
import functools
import os

import yaml

from certops_lab.contracts import CallContext
from certops_lab.estate_builder import build_estate
from certops_lab.pki import LabCA
from certops_lab.products.exchange import organisation
from certops_lab.topology import load_topology
from certops_lab.twins.scripts import lookup

TOPOLOGY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "topologies", "exchange.yml")
START = "2026-01-01T00:00:00Z"


@functools.lru_cache(maxsize=1)
def _ca() -> LabCA:
    return LabCA.create()


def topology_data(**auth_config) -> dict:
    with open(TOPOLOGY, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["clock"] = START
    data["products"]["exchange"]["auth_config"].update(auth_config)
    return data


def exchange_estate(data=None, **auth_config):
    """A fresh estate of the shipped topology (clock START), auth_config keys overridden."""
    return build_estate(load_topology(copy.deepcopy(data) if data else topology_data(**auth_config)), _ca())


def set_validity(data: dict, certificate_id: str, not_after: str) -> dict:
    for host in data["hosts"].values():
        for entry in host.get("certificates", []):
            if entry.get("id") == certificate_id:
                entry["not_after"] = not_after
    return data


def run(estate, name: str, host: str, parameters=None, check: bool = False):
    return lookup(name)(estate, estate.hosts[host], parameters or {}, CallContext(host=host, check_mode=check, now=estate.clock))


def read(estate, host: str = "ex01", **parameters) -> dict:
    return run(estate, "exchange_auth_get", host, parameters).output[0]


def org(estate):
    return organisation(estate)


def store(estate, host: str) -> dict:
    return estate.hosts[host].store("LocalMachine", "My").entries
