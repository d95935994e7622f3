# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab twin of an estate (module_utils/_twin.py and _products/*_twin.py) from reads recorded on `make demo`'s estate
(fixtures/twin_reads.json: certificate_inventory results and each product's read phase)."""
from __future__ import annotations

import copy
import datetime
import json
import os

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils import _twin
from ansible_collections.certops.microsoft.plugins.module_utils._products import adfs_entra_twin, d365_service_fabric_twin
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_twin, wfm_sharepoint_twin

AS_OF = datetime.datetime(2026, 12, 3, 17, 21, 23, tzinfo=datetime.timezone.utc)
with open(os.path.join(os.path.dirname(__file__), "fixtures", "twin_reads.json"), encoding="utf-8") as handle:
    RECORDED = json.load(handle)


@pytest.fixture(name="recorded")
def recorded_fixture():
    return copy.deepcopy(RECORDED)


def hosts_of(recorded) -> tuple:
    context = _twin.new_context(AS_OF, recorded["reads"])
    return _twin.hosts_section(recorded["inventory"], {"wfm01": {"wfm"}}, context), context


def test_validity_is_written_as_offsets_from_as_of():
    assert _twin.offset("2026-12-23T17:21:23Z", AS_OF) == "+20d"
    assert _twin.offset("2026-12-03T17:21:20Z", AS_OF) == "-3s"


def test_key_usages_take_the_topology_names():
    assert [_twin.snake(name) for name in ("digitalSignature", "keyEncipherment", "cRLSign", "keyCertSign")] == [
        "digital_signature", "key_encipherment", "crl_sign", "key_cert_sign"]


def test_a_certificate_on_several_hosts_is_issued_once_then_copied(recorded):
    hosts, _context = hosts_of(recorded)
    first, second = hosts["adfs01"]["certificates"][0], hosts["adfs02"]["certificates"][0]
    assert first["source_thumbprint"] == "8F77DA9492DA93AF5B1253BEFAF937914D15C97C" and second == {**second, "copy_of": first["id"]}
    assert "subject" not in second


def test_the_accounts_the_product_reads_name_become_the_key_acl(recorded):
    hosts, _context = hosts_of(recorded)
    assert hosts["wfm01"]["certificates"][0]["acl"] == ["LAB\\svc-wfm"] and hosts["wfm01"]["roles"] == ["wfm"]
    assert hosts["ex01"]["roles"] == ["generic"]


def test_the_inventory_order_of_hosts_is_kept(recorded):
    hosts, _context = hosts_of(recorded)
    assert list(hosts) == list(recorded["inventory"])


def test_a_key_or_hash_the_lab_cannot_issue_is_noted_and_replaced(recorded):
    certificate = recorded["inventory"]["wfm01"]["certificates"][0]
    certificate.update(key_type="DSA", signature_hash="md5")
    hosts, context = hosts_of(recorded)
    entry = hosts["wfm01"]["certificates"][0]
    assert (entry["key_type"], entry["key_size"], entry["hash"]) == ("rsa", 2048, "sha256") and len(context["notes"]) == 2


def test_a_store_the_lab_lacks_is_noted_and_left_out(recorded):
    recorded["inventory"]["wfm01"]["certificates"][0]["store_name"] = "Remote Desktop"
    hosts, context = hosts_of(recorded)
    assert "certificates" not in hosts["wfm01"] and "Remote Desktop" in context["notes"][0]


def test_host_names_the_lab_cannot_take_are_refused_with_the_fix(recorded):
    recorded["inventory"]["wfm01.contoso.com"] = recorded["inventory"].pop("wfm01")
    with pytest.raises(_twin.TwinError, match="wfm01.contoso.com.*short inventory alias"):
        hosts_of(recorded)


def twin(module, recorded, variables=None) -> tuple:
    _hosts, context = hosts_of(recorded)
    return module.twin(recorded["reads"][module.__name__.rsplit(".", 1)[1][:-5]], variables or {}, context), context


def test_wfm_twin_keeps_the_farm_its_service_account_and_every_sharepoint_trust(recorded):
    sections, context = twin(wfm_sharepoint_twin, recorded, {"wfm_sharepoint_service_uri": "https://wfm.lab.test:12290/"})
    farm, sharepoint = sections["wfm"][0], sections["sharepoint"][0]
    outbound = "cert:" + context["ids"]["5B4F2F4AA35FC2D517DB3D44F1D61D366D6F063A"]
    assert (farm["hosts"], farm["service_account"], farm["outbound_certificate"]) == (["wfm01"], "LAB\\svc-wfm", outbound)
    assert sharepoint["farm_id"] == "0dbe5004-c35a-57f2-8926-65252284b19f" and sharepoint["hosts"] == ["sp01", "sp02"]
    assert [issuer["certificate"] for issuer in sharepoint["issuers"] + sharepoint["root_authorities"]] == [outbound, outbound]


def test_a_sharepoint_trust_whose_certificate_no_store_holds_is_noted_and_left_out(recorded):
    recorded["reads"]["wfm_sharepoint"]["sp01"]["state"]["sharepoint"]["authorities"][0]["thumbprint"] = "AB" * 20
    sections, context = twin(wfm_sharepoint_twin, recorded)
    assert sections["sharepoint"][0]["root_authorities"] == [] and "ABAB" in context["notes"][0]


def test_adfs_twin_keeps_the_farm_its_certificates_and_what_entra_holds(recorded):
    sections, _context = twin(adfs_entra_twin, recorded, {"adfs_entra_graph_tenant_id": "t", "adfs_entra_graph_client_id": "c"})
    farm, entra = sections["adfs"][0], sections["entra"]
    assert (farm["primary"], farm["service_account"], farm["properties"]["AutoCertificateRollover"]) == ("adfs01", "LAB\\gmsa-adfs$", False)
    assert [party["name"] for party in farm["relying_parties"]] == ["Payroll", "Intranet"]
    assert farm["token_signing"][0]["certificate"].startswith("cert:adfs-signing")
    assert [domain.get("holds") for domain in entra["domains"]] == [["primary"], ["primary"], None]
    assert entra["tenant_id"] == "t" and entra["apps"][0]["client_id"] == "c"


def test_an_adfs_certificate_no_store_holds_is_generated_with_its_validity(recorded):
    recorded["inventory"]["adfs01"]["certificates"] = recorded["inventory"]["adfs02"]["certificates"] = []
    sections, _context = twin(adfs_entra_twin, recorded)
    assert sections["adfs"][0]["token_signing"] == [{"primary": True, "not_before": "-325d", "not_after": "+40d"}]


def test_an_entra_domain_holding_a_foreign_certificate_is_noted(recorded):
    domains = recorded["reads"]["adfs_entra"]["adfs01"]["state"]["entra"]["domains"]
    next(domain for domain in domains if domain.get("federation"))["federation"]["signing"] = "CD" * 20
    _sections, context = twin(adfs_entra_twin, recorded)
    assert "CDCD" in context["notes"][0]


def test_exchange_twin_keeps_servers_services_cng_keys_and_auth_config(recorded):
    sections, context = twin(exchange_auth_twin, recorded)
    servers, auth = sections["exchange"]["servers"], sections["exchange"]["auth_config"]
    assert [(server["host"], server["site"]) for server in servers] == [("ex01", "Site-A"), ("ex02", "Site-A"), ("ex03", "Site-B")]
    assert servers[0]["services"][0]["services"] == ["IIS"] and len(servers[0]["cng_keys"]) == 1
    assert auth["current"] == "cert:" + context["ids"]["4E4A90ED5C9EB2B4A4D9474CF9F7491027B2C5C9"] and auth["current_on"] == ["ex01", "ex02", "ex03"]


def test_d365_twin_keeps_nodes_layout_templates_and_the_applications_certificates(recorded):
    sections, _context = twin(d365_service_fabric_twin, recorded, {"d365_service_fabric_infrastructure_path": "\\\\fs01\\Infrastructure"})
    cluster = sections["service_fabric"]
    nodes = {"orch01": {"node_type": "OrchestratorType", "upgrade_domain": "ud0"}, "aos01": {"node_type": "AOSNodeType", "upgrade_domain": "ud1"}}
    assert cluster["layout"] == "thumbprint" and cluster["nodes"] == nodes
    assert set(cluster["d365"]["config_template"]) == {"server", "client", "encipherment", "data_encryption", "data_signing"}
    assert set(cluster["d365"]["applications"]) == {"client", "encipherment", "data_encryption", "data_signing"}
    assert cluster["d365"]["infrastructure_path"] == "\\\\fs01\\Infrastructure"
