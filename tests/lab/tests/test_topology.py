# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Topology validation and expansion, and the inventory written from it."""
from __future__ import annotations

import datetime
import glob
import os
import stat

import pytest
from cryptography import x509
import yaml

from certops_lab.estate_builder import build_estate
from certops_lab.inventory import build_inventory, write_inventory
from certops_lab.pki import LabCA
from certops_lab.pytest_plugin import resolve_topology
from certops_lab.topology import TopologyError, load_topology

TOPOLOGIES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "topologies")


@pytest.mark.parametrize("data,expected", [
    ({"hosts": {"wfm01": {"transport": "kerberos"}}}, "hosts.wfm01.transport: 'kerberos' is not one of basic, https, ntlm"),
    ({"hosts": {"wfm01": {"roles": ["wfm", "dc"]}}}, "hosts.wfm01.roles.1: 'dc' is not one of wfm, sharepoint"),
    ({"hosts": {"wfm01": {"username": "svc@lab.test"}}}, "hosts.wfm01.username: 'svc@lab.test': use a plain user name"),
    ({"hosts": {"wfm01": {"certificates": [{"subject": "CN=x", "not_after": "10 days"}]}}},
     "hosts.wfm01.certificates.0.not_after: '10 days' is not an offset: write a signed number and a unit"),
    ({"hosts": {"wfm01": {"certificates": [{"not_after": "+1d"}]}}},
     "hosts.wfm01.certificates.0: 'subject' or 'copy_of' is a required property: add one of them"),
    ({"hosts": {"wfm01": {"portt": 5}}}, "hosts.wfm01: Additional properties are not allowed ('portt' was unexpected); allowed keys here:"),
    ({"hosts": {"1bad": {}}}, "hosts: '1bad' is not a valid name"),
    ({"host": {}}, "(top level): 'hosts' is a required property: add it"),
    ({"hosts": {}}, "the topology has no host"),
    ([1, 2], "must be a YAML mapping"),
])
def test_load_topology_names_the_path_and_the_fix(data, expected):
    with pytest.raises(TopologyError) as caught:
        load_topology(data)
    assert expected in str(caught.value)


def test_load_topology_reports_unreadable_and_invalid_yaml_files(tmp_path):
    with pytest.raises(TopologyError, match="cannot read topology"):
        load_topology(str(tmp_path / "missing.yml"))
    broken = tmp_path / "broken.yml"
    broken.write_text("hosts: [unclosed\n", encoding="utf-8")
    with pytest.raises(TopologyError, match="is not valid YAML"):
        load_topology(str(broken))


def test_load_topology_applies_defaults_and_host_values():
    topology = load_topology({"defaults": {"transport": "ntlm", "username": "labadmin", "password": "P@ss-1"},
                              "hosts": {"a": {"roles": ["adfs"]}, "b": {"transport": "https", "port": 45986}}})
    first, second = topology.hosts["a"], topology.hosts["b"]
    assert (first.roles, first.transport, first.username, first.password) == (["adfs"], "ntlm", "labadmin", "P@ss-1")
    assert (second.roles, second.transport, second.port) == (["generic"], "https", 45986)


def test_load_topology_expands_host_series_with_zero_padded_names():
    topology = load_topology({"hosts": {}, "host_series": [{"prefix": "node", "count": 12, "roles": ["sf_node"]}]})
    assert list(topology.hosts)[:2] == ["node001", "node002"] and len(topology.hosts) == 12
    assert topology.hosts["node012"].roles == ["sf_node"]


def test_load_topology_refuses_a_series_name_that_clashes_with_a_host():
    with pytest.raises(TopologyError, match="node001 is also listed under hosts"):
        load_topology({"hosts": {"node001": {}}, "host_series": [{"prefix": "node", "count": 2}]})


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(TOPOLOGIES, "*.yml"))))
def test_shipped_topologies_are_valid(path):
    assert load_topology(path).hosts


def test_small_topology_has_one_host_per_transport():
    transports = sorted(spec.transport for spec in load_topology(os.path.join(TOPOLOGIES, "small.yml")).hosts.values())
    assert transports == ["basic", "https", "ntlm"]


def test_scale_topology_has_two_hundred_hosts():
    assert len(load_topology(os.path.join(TOPOLOGIES, "scale.yml")).hosts) == 200


def _inventory():
    topology = load_topology({"hosts": {"web": {"transport": "basic", "roles": ["wfm", "sharepoint"]},
                                        "tls": {"transport": "https", "roles": ["adfs"]},
                                        "enc": {"transport": "ntlm"}}})
    return build_inventory(list(topology.hosts.values()), {"web": 40001, "tls": 40002, "enc": 40003}, "/lab/lab-ca.pem")


def test_build_inventory_sets_winrm_variables_per_transport():
    hosts = _inventory()["all"]["children"]["windows"]["hosts"]
    assert hosts["web"]["ansible_winrm_scheme"] == "http" and hosts["web"]["ansible_winrm_transport"] == "basic"
    assert hosts["tls"]["ansible_winrm_scheme"] == "https" and hosts["tls"]["ansible_winrm_ca_trust_path"] == "/lab/lab-ca.pem"
    assert hosts["tls"]["ansible_winrm_server_cert_validation"] == "validate"
    assert hosts["enc"]["ansible_winrm_transport"] == "ntlm" and hosts["enc"]["ansible_winrm_message_encryption"] == "always"
    assert {item["ansible_host"] for item in hosts.values()} == {"127.0.0.1"}
    assert [hosts[name]["ansible_port"] for name in ("web", "tls", "enc")] == [40001, 40002, 40003]
    assert "ansible_winrm_ca_trust_path" not in hosts["web"] and "ansible_winrm_message_encryption" not in hosts["tls"]


def test_build_inventory_makes_one_group_per_role():
    groups = _inventory()["all"]["children"]["windows"]["children"]
    assert {name: sorted(group["hosts"]) for name, group in groups.items()} == {
        "adfs": ["tls"], "generic": ["enc"], "sharepoint": ["web"], "wfm": ["web"]}


def test_write_inventory_is_private_and_loads_as_yaml(tmp_path):
    topology = load_topology({"hosts": {"web": {}}})
    path = write_inventory(str(tmp_path / "inventory.yml"), list(topology.hosts.values()), {"web": 40001}, "/ca.pem")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert yaml.safe_load(open(path, encoding="utf-8"))["all"]["children"]["windows"]["hosts"]["web"]["ansible_port"] == 40001


@pytest.fixture(name="lab_ca", scope="module")
def lab_ca_fixture():
    return LabCA.create()


def _entries(estate, host, store="LocalMachine\\My"):
    return list(estate.hosts[host].stores[store].entries.values())


def test_build_estate_issues_certificates_relative_to_the_lab_clock(lab_ca):
    topology = load_topology({"clock": "2026-03-01T00:00:00Z", "hosts": {"win01": {"certificates": [
        {"subject": "CN=expired.lab.test", "not_before": "-400d", "not_after": "-3d", "dns_names": ["expired.lab.test"]}]}}})
    estate = build_estate(topology, lab_ca)
    certificate = _entries(estate, "win01")[0].certificate
    assert estate.clock == datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
    assert certificate.not_valid_after_utc == datetime.datetime(2026, 2, 26, tzinfo=datetime.timezone.utc)
    assert certificate.not_valid_before_utc == datetime.datetime(2025, 1, 25, tzinfo=datetime.timezone.utc)
    assert certificate.issuer == lab_ca.certificate.subject


def test_build_estate_starts_the_clock_at_the_real_time_for_now(lab_ca):
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    estate = build_estate(load_topology({"clock": "now", "hosts": {"win01": {}}}), lab_ca)
    assert before <= estate.clock <= datetime.datetime.now(datetime.timezone.utc)


def test_build_estate_applies_store_key_and_acl_settings(lab_ca):
    topology = load_topology({"hosts": {"win01": {"roles": ["wfm"], "username": "labadmin", "certificates": [
        {"subject": "CN=root", "store_name": "Root", "self_signed": True, "private_key": False},
        {"subject": "CN=svc", "exportable": False, "acl": ["LAB\\svc-wfm"], "key_type": "ecdsa", "key_size": 256, "friendly_name": "svc"}]}}})
    estate = build_estate(topology, lab_ca)
    root, = _entries(estate, "win01", "LocalMachine\\Root")
    service, = _entries(estate, "win01")
    assert not root.has_private_key and root.certificate.issuer == root.certificate.subject
    assert service.has_private_key and not service.exportable and service.key_readable_by("LAB\\svc-wfm")
    assert service.friendly_name == "svc" and estate.hosts["win01"].roles == ["wfm"] and estate.hosts["win01"].user == "labadmin"


def test_build_estate_resolves_certificate_ids_in_the_products_section(lab_ca):
    estate = build_estate(load_topology(os.path.join(TOPOLOGIES, "demo.yml")), lab_ca)
    in_thirty_days = estate.clock + datetime.timedelta(days=30)
    outbound = next(entry for entry in _entries(estate, "wfm01") if entry.certificate.not_valid_after_utc == in_thirty_days)
    assert estate.products["wfm"]["wfm"].current == outbound.thumbprint
    assert estate.products["sharepoint"]["sp"].workflow_farm == "wfm"


@pytest.mark.parametrize("products,message", [
    ({"nosuch": {}}, "products.nosuch: no product model reads this section: use one of "),
    ({"wfm": [{"name": "w", "outbound_certificate": "cert:nope"}]}, "products.wfm.0.outbound_certificate: no certificate has id 'nope'"),
    ({"wfm": [{"name": "w"}]}, "products.wfm entry 'w' lacks service_uri"),
])
def test_build_estate_reports_product_mistakes_as_topology_errors(lab_ca, products, message):
    with pytest.raises(TopologyError) as caught:
        build_estate(load_topology({"hosts": {"win01": {}}, "products": products}), lab_ca)
    assert message in str(caught.value)


def test_build_estate_copies_a_certificate_with_its_key_to_another_host_with_that_hosts_acl(lab_ca):
    topology = load_topology({"hosts": {"a": {"certificates": [{"subject": "CN=farm", "id": "farm", "acl": ["LAB\\svc"]}]},
                                        "b": {"certificates": [{"copy_of": "farm", "exportable": False, "acl": ["LAB\\other"]}]}}})
    estate = build_estate(topology, lab_ca)
    original, = _entries(estate, "a")
    copy, = _entries(estate, "b")
    assert copy.der == original.der and copy.private_key == original.private_key and not copy.exportable
    assert copy.key_readable_by("LAB\\other") and not copy.key_readable_by("LAB\\svc")


def test_build_estate_gives_leaf_certificates_the_computer_template_key_usages_unless_told_otherwise(lab_ca):
    topology = load_topology({"hosts": {"a": {"certificates": [
        {"subject": "CN=default"},
        {"subject": "CN=tls", "key_usage": ["digital_signature"], "extended_key_usage": ["server_auth", "1.3.6.1.4.1.311.21.5"]},
        {"subject": "CN=bare", "key_usage": []}]}}})
    by_name = {entry.certificate.subject.rfc4514_string(): entry.certificate for entry in _entries(build_estate(topology, lab_ca), "a")}
    usage = by_name["CN=default"].extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and not usage.data_encipherment
    ekus = by_name["CN=tls"].extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert [oid.dotted_string for oid in ekus] == ["1.3.6.1.5.5.7.3.1", "1.3.6.1.4.1.311.21.5"]
    assert not [ext for ext in by_name["CN=bare"].extensions if isinstance(ext.value, x509.KeyUsage)]


def test_build_estate_refuses_a_copy_of_an_unknown_certificate(lab_ca):
    with pytest.raises(TopologyError, match=r"hosts.b.certificates.0.copy_of: no certificate has id 'nope' \(ids: farm\)"):
        build_estate(load_topology({"hosts": {"a": {"certificates": [{"subject": "CN=farm", "id": "farm"}]},
                                              "b": {"certificates": [{"copy_of": "nope"}]}}}), lab_ca)


def test_build_estate_refuses_a_certificate_id_used_twice(lab_ca):
    certificate = {"subject": "CN=x", "id": "same"}
    with pytest.raises(TopologyError, match="hosts.b.certificates.0.id: 'same' is used twice"):
        build_estate(load_topology({"hosts": {"a": {"certificates": [certificate]}, "b": {"certificates": [certificate]}}}), lab_ca)


@pytest.mark.parametrize("transports,expected", [
    (None, ["basic", "https", "ntlm"]), ("ntlm", ["ntlm", "ntlm", "ntlm"]), ({"https01": "basic"}, ["basic", "basic", "ntlm"]),
])
def test_resolve_topology_overrides_transports_of_a_shipped_topology(transports, expected):
    data = resolve_topology("small.yml", transports)
    assert [data["hosts"][name]["transport"] for name in ("basic01", "https01", "ntlm01")] == expected


def test_resolve_topology_leaves_the_given_dict_untouched():
    original = {"hosts": {"a": None}}
    assert resolve_topology(original, "https") == {"hosts": {"a": {"transport": "https"}}}
    assert original == {"hosts": {"a": None}}
