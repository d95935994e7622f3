# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the Exchange Auth certificate rules (module_utils/_products/exchange_auth*.py) on recorded states.

Each read is what the read phase registers for a server: exchange_auth_get's output (built here with real
certificates) normalised by ``normalise``. Three Mailbox servers, ex01 to ex03; ex01 acts for the organisation.
"""
from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import json
import pathlib

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth as rules

NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.timezone.utc)
HOSTS = ("ex01", "ex02", "ex03")
AUTH = "Microsoft Exchange Server Auth Certificate"
SCHEMA = json.loads((pathlib.Path(__file__).resolve().parents[5] / "docs" / "schemas" / "plan-v1.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _key(slot: str, size: int = 2048):
    del slot
    return rsa.generate_private_key(65537, size)


@functools.lru_cache(maxsize=None)
def certificate(slot: str, days: int, subject: str = AUTH, dns=(), issuer: str = "", size: int = 2048) -> tuple:
    """(thumbprint, base64 DER) of a certificate valid for ``days`` from NOW; self-signed unless ``issuer`` names a CA."""
    key, name = _key(slot, size), x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    signer, issuer_name = (_key("ca"), x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])) if issuer else (key, name)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name).public_key(key.public_key()).serial_number(7)
               .not_valid_before(NOW - datetime.timedelta(days=400)).not_valid_after(NOW + datetime.timedelta(days=days)))
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(item) for item in dns]), critical=False)
    der = builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der).hexdigest().upper(), base64.b64encode(der).decode()  # nosec B324 - a thumbprint


CURRENT = certificate("current", 200)
SMTP = {host: certificate(f"smtp-{host}", 1500, host.upper(), (host.upper(), f"{host}.contoso.test")) for host in HOSTS}
IIS = certificate("iis", 300, "mail.contoso.test", ("mail.contoso.test",), issuer="Contoso CA")


def fact(cert, provider="CSP", exportable=True) -> dict:
    thumbprint, der = cert
    return {"StoreLocation": "LocalMachine", "StoreName": "My", "Thumbprint": thumbprint, "Certificate": der, "HasPrivateKey": True,
            "KeyProvider": provider, "CspExportable": exportable if provider == "CSP" else None,
            "CngExportPolicy": (3 if exportable else 0) if provider == "CNG" else None, "KeyReaders": None}


def output(host: str, certificates=(), auth=None, hybrid=False, services=None, started="2026-05-01T00:00:00Z", **extra) -> dict:
    """exchange_auth_get's output for one server (the certificates it holds besides its SMTP default one)."""
    config = {"CurrentCertificateThumbprint": CURRENT[0], "NextCertificateThumbprint": "", "NextCertificateEffectiveDate": "",
              "PreviousCertificateThumbprint": "", "WhenChangedUTC": "2025-01-01T00:00:00Z", **(auth or {})}
    server = {"Name": host.upper(), "Fqdn": f"{host}.contoso.test", "Site": "Site-A", "AdminDisplayVersion": "Version 15.2 (Build 1544.4)",
              "IsMailboxServer": True, "IsClientAccessServer": True, "IsEdgeServer": False}
    facts = [fact(SMTP[host])] + [item if isinstance(item, dict) else fact(item) for item in certificates]
    data = {"ComputerName": host.upper(), "SetupKey": True, "EdgeRole": False, "ExchangeMajor": 15, "Now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Server": server, "AuthConfig": config, "HybridConfigured": hybrid,
            "OrganisationServers": [dict(server, Name=name.upper(), Fqdn=f"{name}.contoso.test") for name in HOSTS],
            "Certificates": facts, "CertificateServices": {SMTP[host][0]: "SMTP", **(services or {})}, "TransportCertificate": SMTP[host][0],
            "ServiceHostStatus": "Running", "ServiceHostStartedUtc": started,
            "AppPools": [{"Name": "MSExchangeOWAAppPool", "StartedUtc": started}, {"Name": "MSExchangeECPAppPool", "StartedUtc": started}],
            "OwaStatus": None, "EcpStatus": None, "OAuthEws": "", "OAuthEwsDetail": "", "OAuthExchangeOnline": "", "OAuthExchangeOnlineDetail": ""}
    data.update(extra)
    return data


def read(data: dict) -> dict:
    return {"role": "mailbox", "state": {"exchange": rules.normalise("exchange", data)}}


def reads(default=(CURRENT,), **per_host) -> dict:
    """Every server holds ``default`` certificates unless a keyword gives its own output."""
    return {host: read(per_host.get(host) or output(host, default)) for host in HOSTS}


def params(**overrides) -> dict:
    values = {name: spec.get("default") for name, spec in rules.ARGUMENT_SPEC.items()}
    values.update(overrides)
    return values


def context(hosts=HOSTS, play=None) -> dict:
    return {"groups": {"exchange": list(hosts)}, "play_hosts": list(play if play is not None else hosts), "now": NOW}


def plan(state=None, **overrides) -> dict:
    return rules.plan(params(**overrides), state or reads(), context()).to_dict()


def refusal(state=None, context_=None, **overrides) -> str:
    with pytest.raises(CertopsError) as caught:
        rules.plan(params(**overrides), state or reads(), context_ or context())
    return str(caught.value)


def step_ids(document) -> list:
    return [step["id"] for step in document["steps"]]


def on_every_host(*certs, **kwargs) -> dict:
    return reads(**{host: output(host, certs, **kwargs) for host in HOSTS})


# --- reads --------------------------------------------------------------------------------------------
def test_every_server_of_the_group_is_a_mailbox_role_and_others_are_not_part():
    task_vars = {"groups": {"exchange": ["ex01", "ex02"]}}
    assert rules.host_role("ex02", params(), task_vars) == "mailbox" and rules.host_role("dc01", params(), task_vars) is None


def test_plan_reads_without_probes_and_verify_reads_with_them():
    assert rules.read_requests("mailbox", params()) == [("exchange", "exchange_auth_get", {})]
    request = rules.read_requests("mailbox", {"probe": True, "test_mailbox": "probe@contoso.test"})[0]
    assert request[2] == {"Probe": True, "Mailbox": "probe@contoso.test", "ExchangeOnlineUri": None}


def test_normalise_reads_services_providers_and_exportability():
    cng = fact(certificate("cng", 1800), provider="CNG", exportable=False)
    state = rules.normalise("exchange", output("ex01", (CURRENT, cng), services={IIS[0]: "IIS, SMTP"}))
    assert state["certificates"][SMTP["ex01"][0]]["services"] == ["SMTP"]
    assert state["certificates"][cng["Thumbprint"]]["provider"] == "CNG" and not state["certificates"][cng["Thumbprint"]]["exportable"]
    assert state["certificates"][CURRENT[0]]["services"] == [] and state["auth"]["current"] == CURRENT[0]


# --- the scenarios ----------------------------------------------------------------------------------
def test_nothing_is_due_with_200_days_left():
    document = plan()
    assert (document["status"], document["inputs"]["meac_scenario"], document["steps"]) == ("converged", 0, [])
    assert set(document["expected"]) == set(HOSTS) and document["expected"]["ex02"]["auth_current"] == CURRENT[0]
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)) == []


def test_stage_without_a_certificate_plans_only_its_creation_and_asks_for_a_second_round():
    old = certificate("old", 40)
    document = plan(on_every_host(old, auth={"CurrentCertificateThumbprint": old[0]}))
    assert step_ids(document) == ["create"] and document["inputs"]["replan"] is True and document["expected"] == {}
    assert document["inputs"]["meac_scenario"] == 2


def test_stage_with_the_new_certificate_on_the_acting_server_imports_it_then_stages_30_days_ahead():
    old, new = certificate("old", 40), certificate("new", 1825)
    state = reads(ex01=output("ex01", (old, new), auth={"CurrentCertificateThumbprint": old[0]}),
                  ex02=output("ex02", (old,), auth={"CurrentCertificateThumbprint": old[0]}),
                  ex03=output("ex03", (old,), auth={"CurrentCertificateThumbprint": old[0]}))
    document = rules.plan(params(replanned=True), state, context()).to_dict()
    assert step_ids(document) == ["import-new-ex02", "import-new-ex03", "stage"]
    stage = document["steps"][-1]
    assert stage["parameters"] == {"Operation": "Stage", "Thumbprint": new[0], "EffectiveDate": "2026-07-15T10:00:00Z"}
    assert [step["wave"] for step in document["steps"]] == [1, 1, 1] and document["steps"][0]["secrets"] == {"PfxPassword": "pfx_password"}
    assert document["waits"][0]["until"] == "2026-07-15T10:00:00Z" and document["inputs"]["new_source"] == "created"
    assert document["expected"]["ex03"]["next_on_server"] is True and document["expected"]["ex03"]["auth_next"] == new[0]


def test_an_unused_auth_certificate_is_adopted_not_created_again():
    old, new = certificate("old", 40), certificate("new", 1825)
    document = plan(on_every_host(old, new, auth={"CurrentCertificateThumbprint": old[0]}))
    assert step_ids(document) == ["stage"] and document["inputs"]["new_source"] == "adopted"


def test_a_given_effective_date_is_used_when_it_is_far_enough_ahead():
    old, new = certificate("old", 40), certificate("new", 1825)
    document = plan(on_every_host(old, new, auth={"CurrentCertificateThumbprint": old[0]}), effective_date="2026-06-20T00:00:00Z")
    assert document["steps"][0]["parameters"]["EffectiveDate"] == "2026-06-20T00:00:00Z"


def test_two_days_left_publishes_at_once_and_restarts_every_server_one_at_a_time():
    old, new = certificate("old", 2), certificate("new", 1825)
    document = plan(on_every_host(old, new, auth={"CurrentCertificateThumbprint": old[0]}))
    assert step_ids(document) == ["stage", "publish", "restart-ex01", "restart-ex02", "restart-ex03"]
    assert document["steps"][0]["parameters"] == {"Operation": "Stage", "Thumbprint": new[0], "Now": True}
    restart = document["steps"][2]
    healthy = {"ServiceHostStatus": "Running", "OwaStatus": 200, "EcpStatus": 200, "OAuthEws": "Success"}
    assert restart["rolling"] and restart["gate"]["expect"] == healthy
    # One wave per server: a failed gate stops the play before the next server's wave.
    assert [(wave["hosts"], wave["rolling"]) for wave in document["waves"]] == [(["ex01"], True), (["ex02"], True), (["ex03"], True)]


def test_a_dead_certificate_is_replaced_and_the_previous_one_is_kept_for_cleanup():
    dead, new = certificate("dead", -3), certificate("new", 1825)
    document = plan(on_every_host(dead, new, auth={"CurrentCertificateThumbprint": dead[0]}))
    assert step_ids(document)[:2] == ["stage", "publish"] and document["inputs"]["meac_scenario"] == 1
    assert [step["id"] for step in document["cleanup"]] == ["remove-ex01", "remove-ex02", "remove-ex03", "clear-previous"]
    assert document["cleanup"][-1]["wave"] == 2 and all(step["irreversible"] for step in document["cleanup"])


def test_a_dead_current_with_a_valid_staged_next_publishes_the_next_instead_of_creating_another():
    dead, staged = certificate("dead", -1), certificate("staged", 1825)
    auth = {"CurrentCertificateThumbprint": dead[0], "NextCertificateThumbprint": staged[0], "NextCertificateEffectiveDate": "2026-07-01T00:00:00Z"}
    document = plan(on_every_host(dead, staged, auth=auth))
    assert document["inputs"]["meac_scenario"] == 3 and document["inputs"]["scenario"] == "activate"
    assert step_ids(document)[0] == "publish" and document["steps"][0]["parameters"]["Thumbprint"] == staged[0]


def test_the_next_certificate_is_published_after_its_effective_date():
    staged = certificate("staged", 1825)
    auth = {"NextCertificateThumbprint": staged[0], "NextCertificateEffectiveDate": "2026-06-15T09:00:00Z"}
    document = plan(on_every_host(CURRENT, staged, auth=auth))
    assert step_ids(document) == ["publish", "restart-ex01", "restart-ex02", "restart-ex03"]
    assert document["expected"]["ex01"]["auth_current"] == staged[0] and document["expected"]["ex01"]["auth_next"] == ""


def test_before_the_effective_date_the_plan_waits_and_changes_nothing():
    staged = certificate("staged", 1825)
    auth = {"NextCertificateThumbprint": staged[0], "NextCertificateEffectiveDate": "2026-06-20T09:00:00Z"}
    document = plan(on_every_host(CURRENT, staged, auth=auth))
    assert (document["status"], document["steps"], document["waits"][0]["until"]) == ("waiting", [], "2026-06-20T09:00:00Z")


def test_after_the_servicelet_published_the_servers_that_started_before_restart():
    new = certificate("new", 1825)
    auth = {"CurrentCertificateThumbprint": new[0], "PreviousCertificateThumbprint": CURRENT[0], "WhenChangedUTC": "2026-06-14T00:00:00Z"}
    state = reads(ex01=output("ex01", (CURRENT, new), auth=auth, started="2026-06-14T01:00:00Z"),
                  ex02=output("ex02", (CURRENT, new), auth=auth), ex03=output("ex03", (CURRENT, new), auth=auth))
    document = plan(state)
    assert document["inputs"]["scenario"] == "finish" and step_ids(document) == ["restart-ex02", "restart-ex03"]


def test_a_valid_certificate_missing_on_a_server_is_imported_from_one_that_has_it():
    state = reads(ex01=output("ex01", ()), ex02=output("ex02", (CURRENT,)), ex03=output("ex03", ()))
    document = plan(state)
    assert step_ids(document) == ["import-current-ex01", "import-current-ex03"] and document["steps"][0]["host"] == "ex02"
    assert document["steps"][0]["parameters"] == {"Thumbprint": CURRENT[0], "Server": "EX01"} and document["inputs"]["meac_scenario"] == 4


def test_import_then_stage_in_one_run_when_the_repaired_organisation_is_in_the_window():
    old, new = certificate("old", 40), certificate("new", 1825)
    auth = {"CurrentCertificateThumbprint": old[0]}
    state = reads(ex01=output("ex01", (old, new), auth=auth), ex02=output("ex02", (old, new), auth=auth), ex03=output("ex03", (), auth=auth))
    document = plan(state)
    assert step_ids(document) == ["import-current-ex03", "import-new-ex03", "stage"] and document["inputs"]["meac_scenario"] == 4


def test_enforce_stages_a_new_certificate_once_but_not_over_a_sound_staged_one():
    new = certificate("new", 1825)
    assert step_ids(plan(on_every_host(CURRENT, new), enforce_new=True)) == ["stage"]
    auth = {"NextCertificateThumbprint": new[0], "NextCertificateEffectiveDate": "2026-07-15T10:00:00Z"}
    assert plan(on_every_host(CURRENT, new, auth=auth), enforce_new=True)["steps"] == []


def test_unreachable_server_is_skipped_with_the_override_and_named_in_a_warning():
    state = reads()
    state["ex03"] = {"role": "mailbox", "state": None, "read_error": "unreachable over WinRM (timed out)", "unreachable_host": True}
    document = plan(state, ignore_unreachable_servers=True)
    assert set(document["expected"]) == {"ex01", "ex02"} and any("ex03 is unreachable" in warning for warning in document["warnings"])


# --- refusals -------------------------------------------------------------------------------------------
def unreachable(state, host="ex03"):
    state[host] = {"role": "mailbox", "state": None, "read_error": "unreachable over WinRM (timed out)", "unreachable_host": True}
    return state


def with_host(host, **extra):
    return reads(**{host: output(host, (CURRENT,), **extra)})


def stage_state(*certs):
    old = certificate("old", 40)
    return on_every_host(old, *certs, auth={"CurrentCertificateThumbprint": old[0]})


KSP = fact(certificate("ksp", 1800), provider="CNG")
REFUSALS = [
    ("unreachable_server", lambda: refusal(unreachable(reads())), "ex03 is unreachable (unreachable over WinRM (timed out)): every Mailbox server"),
    ("remote_shell", lambda: refusal(with_host("ex02", SetupKey=False, Server=None, AuthConfig=None)), "no Exchange setup registry key"),
    ("edge_server", lambda: refusal(with_host("ex02", EdgeRole=True)), "is an Edge Transport server"),
    ("exchange_2010", lambda: refusal(with_host("ex02", ExchangeMajor=14)), "older than 2013"),
    ("group_unknown", lambda: refusal(group="mailboxes"), "inventory group 'mailboxes'"),
    ("host_not_in_play", lambda: refusal(context_=context(play=("ex01", "ex02"))), "ex03 belong to the exchange group but not to this play"),
    ("server_not_in_inventory", lambda: refusal(context_=context(hosts=("ex01", "ex02"), play=("ex01", "ex02")),
                                                state={host: read(output(host, (CURRENT,))) for host in ("ex01", "ex02")}),
     "EX03 is an Exchange Mailbox server of the organisation (Get-ExchangeServer) but not in the exchange_auth_group group"),
    ("authconfig_disagrees", lambda: refusal(with_host("ex02", auth={"NextCertificateThumbprint": "AB" * 20})), "different AuthConfigs"),
    ("thumbprint_malformed", lambda: refusal(thumbprint="12:34"), "exchange_auth_thumbprint: thumbprint '12:34' has 4 hex digits"),
    ("effective_date_malformed", lambda: refusal(effective_date="next tuesday"), "exchange_auth_effective_date: 'next tuesday' is not an ISO 8601"),
    ("effective_date_in_the_past", lambda: refusal(stage_state(), effective_date="2026-06-01T00:00:00Z"), "is not in the future"),
    ("effective_date_under_48_hours", lambda: refusal(stage_state(), effective_date="2026-06-16T10:00:00Z"), "less than 48 hours ahead"),
    ("effective_date_after_expiry", lambda: refusal(stage_state(), effective_date="2026-08-01T00:00:00Z"), "after the current Auth certificate expires"),
    ("ksp_key", lambda: refusal(stage_state(KSP), thumbprint=KSP["Thumbprint"]), "a CNG (KSP) key"),
    ("public_tls_certificate", lambda: refusal(stage_state(IIS), thumbprint=IIS[0]), "issued by CN=Contoso CA (a CA)"),
    ("smtp_default_certificate", lambda: refusal(stage_state(), thumbprint=SMTP["ex01"][0]), "SMTP default certificate"),
    ("not_on_any_server", lambda: refusal(stage_state(), thumbprint="AB" * 20), "not in LocalMachine\\My with its private key"),
    ("expires_too_soon", lambda: refusal(stage_state(certificate("short", 100)), thumbprint=certificate("short", 100)[0]),
     "must outlive that window"),
    ("weak_key", lambda: refusal(stage_state(certificate("weak", 1800, size=1024)), thumbprint=certificate("weak", 1800, size=1024)[0]),
     "needs RSA 2048"),
    ("hybrid_without_upload", lambda: refusal(stage_state(certificate("new", 1825)) | {
        host: read(output(host, (certificate("old", 40), certificate("new", 1825)), hybrid=True,
                          auth={"CurrentCertificateThumbprint": certificate("old", 40)[0]})) for host in HOSTS}), "Exchange hybrid is configured"),
    ("thumbprint_not_used", lambda: refusal(thumbprint=certificate("new", 1825)[0]), "would not be used"),
    ("nothing_exportable_to_import", lambda: refusal(reads(ex01=output("ex01", ()), ex02=output("ex02", (fact(CURRENT, exportable=False),)),
                                                           ex03=output("ex03", (fact(CURRENT, exportable=False),)))),
     "no server holds it with an exportable private key"),
]


@pytest.mark.parametrize("make,words", [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_refusal_names_the_problem_and_the_fix_and_nothing_was_changed(make, words):
    message = make()
    assert words in message and message.startswith("preflight: ") and message.endswith("Nothing was changed."), message


def test_every_refusal_is_given_at_once():
    message = refusal(unreachable(with_host("ex02", EdgeRole=True)))
    assert "ex03 is unreachable" in message and "Edge Transport" in message and message.count("preflight: ") == 2


# --- verify, apply hooks --------------------------------------------------------------------------------------
def test_facts_are_what_verify_compares():
    probed = output("ex02", (CURRENT,), OwaStatus=200, EcpStatus=200, OAuthEws="Success")
    document = plan()
    found = rules.facts("mailbox", read(probed)["state"], document)
    assert found == document["expected"]["ex02"]


def test_every_apply_gets_a_new_random_pfx_password():
    steps = [{"secrets": {"PfxPassword": "pfx_password"}}]
    first, second = (rules.secret_inputs(params(), {}, steps)["pfx_password"] for _attempt in range(2))
    assert first != second and len(first) >= 40


@pytest.mark.parametrize("script,parameters,reply,words", [
    ("exchange_auth_certificate_new", {}, {"Created": None, "TransportBefore": "A", "TransportAfter": "A"}, "no new certificate"),
    ("exchange_auth_certificate_new", {}, {"Created": {"Thumbprint": "AB", "KeyProvider": "CNG"}, "TransportBefore": "A", "TransportAfter": "A"},
     "a CNG key"),
    ("exchange_auth_certificate_new", {}, {"Created": {"Thumbprint": "AB", "KeyProvider": "CSP", "CspExportable": True},
                                           "TransportBefore": "A", "TransportAfter": "B"}, "SMTP default certificate changed from A to B"),
    ("exchange_auth_certificate_import", {"Server": "EX03", "Thumbprint": "AB"}, {"Present": False}, "EX03 still without certificate AB"),
    ("exchange_authconfig_set", {"Operation": "Stage", "Thumbprint": "AB"}, {"NextCertificateThumbprint": ""}, "instead of AB"),
    ("exchange_authconfig_set", {"Operation": "Publish", "Thumbprint": "AB"}, {"CurrentCertificateThumbprint": "CD"}, "with CD instead of AB"),
    ("exchange_auth_services_restart", {}, {"ServiceHostStatus": "Stopped"}, "MSExchangeServiceHost Stopped"),
])
def test_a_step_answer_that_shows_something_else_is_a_problem(script, parameters, reply, words):
    assert words in rules.step_problem({"script": script, "parameters": parameters}, reply)


def test_a_step_answer_that_shows_the_change_is_no_problem():
    assert rules.step_problem({"script": "exchange_authconfig_set", "parameters": {"Operation": "Publish", "Thumbprint": "AB"}},
                              {"CurrentCertificateThumbprint": "ab"}) == ""


# --- side by side with MEAC (the table in docs/exchange-auth-rotation.md) --------------------------------------------
def _org_state(current_days, next_days=None, next_effective="", missing_current=(), missing_next=()):
    current = certificate(f"c{current_days}", current_days)
    nxt = certificate(f"n{next_days}", next_days) if next_days is not None else None
    auth = {"CurrentCertificateThumbprint": current[0]}
    if nxt:
        auth.update(NextCertificateThumbprint=nxt[0], NextCertificateEffectiveDate=next_effective)
    spare = certificate("spare", 1825)
    held = {host: [cert for cert, missing in ((current, missing_current), (nxt, missing_next)) if cert and host not in missing] + [spare]
            for host in HOSTS}
    return reads(**{host: output(host, held[host], auth=auth) for host in HOSTS})


SIDE_BY_SIDE = [
    # id, state, MEAC's scenario, this run's action, its first steps
    ("200_days", lambda: _org_state(200), 0, "nothing", []),
    ("40_days", lambda: _org_state(40), 2, "stage", ["stage"]),
    ("20_days", lambda: _org_state(20), 2, "stage", ["stage"]),
    ("3_days", lambda: _org_state(3), 2, "stage", ["stage"]),
    ("2_days", lambda: _org_state(2), 2, "stage", ["stage", "publish", "restart-ex01"]),
    ("expired", lambda: _org_state(-3), 1, "replace", ["stage", "publish", "restart-ex01"]),
    ("expired_next_staged", lambda: _org_state(-3, 1825, "2026-07-01T00:00:00Z"), 3, "activate", ["publish", "restart-ex01"]),
    ("missing_on_a_server", lambda: _org_state(200, missing_current=("ex03",)), 4, "import", ["import-current-ex03"]),
    ("missing_and_expiring", lambda: _org_state(40, missing_current=("ex03",)), 4, "stage", ["import-current-ex03", "stage"]),
    ("next_missing_on_a_server", lambda: _org_state(200, 1825, "2026-09-01T00:00:00Z", missing_next=("ex02",)), 5, "import", ["import-next-ex02"]),
    ("effective_date_passed", lambda: _org_state(20, 1825, "2026-06-14T00:00:00Z"), 0, "activate", ["publish", "restart-ex01"]),
    ("effective_date_ahead", lambda: _org_state(20, 1825, "2026-06-20T00:00:00Z"), 0, "nothing", []),
]
# MEAC's offset for the staged date, by current days left, checked against the plan's stage step.
STAGE_DATES = {"40_days": "2026-07-15T10:00:00Z", "20_days": "2026-06-19T10:00:00Z", "3_days": "2026-06-17T10:00:00Z"}


@pytest.mark.parametrize("make,meac,action,first_steps", [case[1:] for case in SIDE_BY_SIDE], ids=[case[0] for case in SIDE_BY_SIDE])
def test_side_by_side_with_meac(make, meac, action, first_steps, request):
    document = plan(make())
    assert (document["inputs"]["meac_scenario"], document["inputs"]["scenario"]) == (meac, action)
    assert step_ids(document)[:len(first_steps)] == first_steps
    expected_date = STAGE_DATES.get(request.node.callspec.id)
    if expected_date:
        assert document["steps"][-1]["parameters"]["EffectiveDate"] == expected_date
