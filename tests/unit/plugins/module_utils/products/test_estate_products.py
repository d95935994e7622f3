# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each product's part of the estate report (the engine's estate phase) on read states built with real certificates."""
from __future__ import annotations

import base64
import datetime
import hashlib

from ansible_collections.certops.microsoft.plugins.module_utils._products import adfs_entra, d365_service_fabric, exchange_auth, wfm_sharepoint
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

NOW = factory.NOW
CONTEXT = {"now": NOW, "groups": {}, "play_hosts": []}


def certificate(days: float, name: str = "wfm.lab.test") -> tuple:
    der = factory.der(factory.make_cert(common_name=name, days=days).cert)
    return hashlib.sha1(der).hexdigest().upper(), base64.b64encode(der).decode("ascii")  # nosec B324 - a thumbprint


def rows_by(estate: dict, *keys) -> set:
    return {tuple(row[key] for key in keys) for row in estate["certificates"]}


def test_wfm_estate_lists_the_outbound_certificate_and_every_sharepoint_trust_with_its_expiry():
    thumbprint, der = certificate(10)
    reads = {"wfm01": {"role": "wfm_primary", "state": {"wfm": {"certificates": {thumbprint: {"der": der}},
                                                                "references": {"current": thumbprint, "next": "", "previous": ""}}}},
             "sp01": {"role": "sharepoint", "state": {"sharepoint": {"farm_id": "f1", "issuers": [{"name": "wf", "thumbprint": thumbprint}],
                                                                     "authorities": [{"name": "root", "thumbprint": thumbprint}]}}},
             "sp02": {"role": "sharepoint", "state": None, "read_error": "refused"}}
    estate = wfm_sharepoint.estate({}, reads, CONTEXT)
    assert rows_by(estate, "host", "role") == {("wfm01", "outbound"), ("sp01", "issuer"), ("sp01", "trusted")}
    assert all(row["findings"][0]["code"] == "expires_soon" and row["not_after"] for row in estate["certificates"])
    assert estate["unread"] == [{"host": "sp02", "error": "refused"}]
    assert [item["kind"] for item in estate["deadlines"]] == ["expiry", "human"]


def test_adfs_estate_flags_a_domain_entra_does_not_trust_and_dates_auto_rollover():
    signing, der = certificate(40, "ADFS Signing")
    state = {"adfs": {"certificates": [{"der": der, "primary": True, "thumbprint": signing, "type": "Token-Signing"}],
                      "properties": {"auto_rollover": True, "generation": 20, "promotion": 5, "critical": 2}},
             "entra": {"domains": [{"id": "lab.test", "federation": {"signing": signing, "next": ""}},
                                   {"id": "contoso.test", "federation": {"signing": "AB" * 20, "next": ""}}]}}
    estate = adfs_entra.estate({}, {"adfs01": {"role": "adfs+entra", "state": state}}, CONTEXT)
    entra = {row["location"]: row["findings"] for row in estate["certificates"] if row["location"].startswith("Entra")}
    assert entra["Entra: lab.test federation"] == [] and entra["Entra: contoso.test federation"][0]["code"] == "entra_not_in_step"
    automatic = [item for item in estate["deadlines"] if item["kind"] == "automatic"]
    expiry = NOW + datetime.timedelta(days=40)
    assert [item["when"][:10] for item in automatic] == [str((expiry - datetime.timedelta(days=20)).date()), str((expiry - datetime.timedelta(days=15)).date())]


def test_exchange_estate_dates_the_servicelet_publishing_a_staged_next_certificate():
    current, current_der = certificate(20, "Microsoft Exchange Server Auth Certificate")
    staged, staged_der = certificate(1800, "Microsoft Exchange Server Auth Certificate")
    exchange = {"certificates": {current: {"der": current_der}, staged: {"der": staged_der}}, "hybrid": False,
                "auth": {"current": current, "next": staged, "next_effective": "2026-12-20T00:00:00Z", "previous": ""}}
    estate = exchange_auth.estate({}, {"ex01": {"role": "mailbox", "state": {"exchange": exchange}}}, CONTEXT)
    assert rows_by(estate, "host", "role") == {("ex01", "current"), ("ex01", "next")}
    assert [(item["kind"], item["when"]) for item in estate["deadlines"] if item["kind"] != "expiry"] == [("automatic", "2026-12-20T00:00:00Z")]


def test_d365_estate_names_current_and_next_certificates_by_role_and_the_lcs_deadline():
    old, old_der = certificate(20, "star.d365.lab.test")
    new, new_der = certificate(700, "star.d365.lab.test")
    template = ('<?xml version="1.0"?><Config><Certificates><Certificate type="ServiceFabric" disabled="false"><Name>SF</Name>'
                '<Thumbprint>{}</Thumbprint></Certificate></Certificates></Config>')
    node = {"certificates": {old: {"der": old_der}, new: {"der": new_der}}}
    state = {"primary": {"node": node, "d365": {"config_template": template.format(new), "old_config_template": template.format(old)}}}
    estate = d365_service_fabric.estate({}, {"orch01": {"role": "primary", "state": state}}, CONTEXT)
    assert rows_by(estate, "thumbprint", "role", "location") == {
        (old, "cluster", "current: server (ConfigTemplate.xml)"), (new, "cluster", "next: server (ConfigTemplate.xml)")}
    assert [item["what"][:23] for item in estate["deadlines"] if item["kind"] == "human"] == ["LCS > Maintain > Update"]


def test_an_estate_without_any_read_host_is_empty_and_lists_the_unread_hosts():
    reads = {"ex01": {"role": "mailbox", "state": None, "read_error": "WinRM timeout", "unreachable_host": True}}
    assert exchange_auth.estate({}, reads, CONTEXT) == {"product": "exchange_auth", "certificates": [], "deadlines": [],
                                                        "unread": [{"host": "ex01", "error": "WinRM timeout"}]}
