# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets of the adfs_entra role never appear: not the PFX passwords, not the Graph client secret, not the Graph
certificate's password or key; not in output (even at -vvv), the audit, lab files, the snapshot or the plan."""
from __future__ import annotations

import glob
import json
import os

import pytest

from adfs_entra_lab import (CLIENT_ID, CLIENT_SECRET, DOMAINS, GRAPH_PFX_PASSWORD, PFX_PASSWORD, dump, entra_holds, failure_messages,
                            graph_credential, key_pem_body, rotate, topology, write_pfx)


def every_file(*directories) -> list:
    return [path for directory in directories for path in glob.glob(os.path.join(directory, "**"), recursive=True) if os.path.isfile(path)]


def leaks(lab, run, secrets: list) -> list:
    """(secret, where) for every secret found in the run's output, the audit or a file of the lab or the snapshot."""
    places = {"stdout": run.stdout, "stderr": run.stderr, "audit": json.dumps(lab.audit())}
    found = [(secret, place) for secret in secrets for place, text in places.items() if secret in text]
    snapshots = os.path.join(lab.state_dir, "..", "snapshots")
    for path in every_file(lab.state_dir, snapshots):
        data = open(path, "rb").read()
        found += [(secret, path) for secret in secrets if secret.encode() in data]
    return found


@pytest.fixture(name="estate")
def estate_fixture(lab_factory, tmp_path):
    lab = lab_factory(topology("adfs_entra_ca.yml"))
    lab.pfx_path = str(tmp_path / "signing.pfx")
    lab.new_signing = write_pfx(lab.pfx_path)
    lab.ca_vars = {"adfs_entra_mode": "ca", "adfs_entra_signing_pfx_path": lab.pfx_path, "adfs_entra_signing_pfx_password": PFX_PASSWORD,
                   "adfs_entra_relying_parties_ready": True}
    return lab


def test_pfx_and_graph_certificate_secrets_appear_nowhere_even_at_vvv(estate, tmp_path):
    pem = graph_credential(estate, tmp_path)
    credential = graph_credential(estate, tmp_path, form="pfx")
    run = rotate(estate, credential, "-vvv", **estate.ca_vars, adfs_entra_cleanup=True)
    assert run.returncode == 0, dump(run)
    assert [entra_holds(estate, domain)[0] for domain in DOMAINS] == [estate.new_signing] * 2
    assert leaks(estate, run, [PFX_PASSWORD, GRAPH_PFX_PASSWORD, key_pem_body(pem["adfs_entra_graph_certificate_path"])]) == []


def test_the_graph_pem_key_appears_nowhere(estate, tmp_path):
    credential = graph_credential(estate, tmp_path)
    run = rotate(estate, credential, "-vvv", **estate.ca_vars)
    assert run.returncode == 0, dump(run)
    assert leaks(estate, run, [key_pem_body(credential["adfs_entra_graph_certificate_path"])]) == []


def test_a_client_secret_appears_nowhere_whether_it_works_or_not(estate):
    estate.add_app_credential(CLIENT_ID, secret=CLIENT_SECRET)
    secret = {"adfs_entra_graph_client_id": CLIENT_ID, "adfs_entra_graph_client_secret": CLIENT_SECRET}
    run = rotate(estate, secret, "-vvv", **estate.ca_vars)
    assert run.returncode == 0, dump(run)
    refused = rotate(estate, {**secret, "adfs_entra_graph_client_secret": CLIENT_SECRET + "-wrong"}, "-vvv", **estate.ca_vars)
    assert refused.returncode != 0 and "AADSTS7000215" in failure_messages(refused)
    assert leaks(estate, run, [CLIENT_SECRET]) == [] and leaks(estate, refused, [CLIENT_SECRET]) == []
