# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's Graph client (module_utils/_graph.py) against the lab's loopback Entra: real msal, OAuth, HTTPS with the lab CA."""
from __future__ import annotations

import time

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError, UncertainOutcome
from ansible_collections.certops.microsoft.plugins.module_utils._graph import GraphClient, GraphSettings
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_graph import read_entra

from adfs_entra_labdata import CLIENT, SECRET, TENANT, certificate_pem, client_certificate, key_pem, register, started, write_pfx


@pytest.fixture(name="lab", scope="module")
def lab_fixture(tmp_path_factory):
    lab = started(tmp_path_factory.mktemp("client") / "lab")
    lab.add_app_credential(CLIENT, secret=SECRET)
    register(lab)
    yield lab
    lab.stop()


def client(lab, **overrides) -> GraphClient:
    values = {"tenant_id": TENANT, "client_id": CLIENT, "authority_host": lab.graph_url, "graph_endpoint": lab.graph_url, "client_secret": SECRET,
              "ca_path": lab.ca_path, "timeout": 5.0}
    values.update(overrides)
    return GraphClient(GraphSettings(**values))


def pem_file(tmp_path) -> str:
    certificate, key = client_certificate()
    path = tmp_path / "graph.pem"
    path.write_text(key_pem(key) + certificate_pem(certificate), encoding="ascii")
    return str(path)


def test_the_graph_read_takes_two_requests_whatever_the_number_of_domains(lab, tmp_path):
    made = client(lab, client_secret="", certificate_path=pem_file(tmp_path))
    before = lab.graph_calls()
    found = read_entra(made)
    assert lab.graph_calls() - before == 2 == found["requests"]
    assert sorted(domain["id"] for domain in found["domains"] if domain["federation"]) == ["contoso.test", "lab.test"]
    assert found["global_admins"] == {"checked": True, "cloud_only": ["admin@lab.onmicrosoft.com"], "error": ""}
    assert "Domain-InternalFederation.ReadWrite.All" in found["roles"]


def test_a_pfx_credential_works_end_to_end(lab, tmp_path):
    certificate, key = client_certificate()
    path = write_pfx(tmp_path / "graph.pfx", certificate, key, "Pfx-Graph-2!")
    assert client(lab, client_secret="", certificate_path=path, certificate_password="Pfx-Graph-2!").get("/domains")["value"]


def test_throttling_by_the_lab_is_waited_out(lab):
    lab.add_graph_fault(lab.graph_calls() + 1, "throttle", seconds=1)
    started_at = time.monotonic()
    assert client(lab).get("/domains")["value"]
    assert time.monotonic() - started_at >= 1


def test_a_write_whose_answer_is_lost_is_uncertain_and_was_applied(lab):
    lab.instance.graph.hold = 4
    federation = lab.instance.runtime.estate.products["entra"].domain("lab.test").federation
    made = client(lab, timeout=1.5)
    made.token()
    lab.add_graph_fault(lab.graph_calls() + 1, "timeout-after")
    with pytest.raises(UncertainOutcome, match="may or may not have been applied"):
        made.patch(f"/domains/lab.test/federationConfiguration/{federation.id}", {"displayName": "lost answer"})
    assert federation.display_name == "lost answer"


def test_without_the_lab_ca_tls_is_refused_with_the_fix(lab):
    with pytest.raises(CertopsError, match="is not trusted .*set ca_path to its PEM bundle"):
        client(lab, ca_path="").get("/domains")


def test_a_wrong_secret_is_refused_without_showing_it(lab):
    with pytest.raises(CertopsError) as caught:
        client(lab, client_secret="Wrong-Secret-Value-1").get("/domains")
    assert "AADSTS7000215: Invalid client secret provided" in str(caught.value) and "Wrong-Secret-Value-1" not in str(caught.value)
