# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's loopback Entra over real HTTPS: OAuth client credentials with verified assertions, Graph permissions by token
roles, federation reads and writes, $batch, applications, faults, audit, federation metadata, inventory variables."""
from __future__ import annotations

import base64
import json
import time
import uuid
import xml.etree.ElementTree as ET

import jwt
import pytest
import requests
import yaml
from cryptography.hazmat.primitives import hashes, serialization

from certops_lab.graph import api
from certops_lab.graph.faults import GraphFaultError
from certops_lab.products import entra
from certops_lab.products.adfs import SIGNING

from adfs_entra_labdata import (CLIENT, READ_ONLY, SECRET, TENANT, LabSession, client_certificate, key_pem, msal_token, register, started,
                                thumbprint_credential, write_pfx)

MEMBERS = "/directoryRoles(roleTemplateId='62e90394-69f5-4237-9190-012177145e10')/members"


@pytest.fixture(name="lab", scope="module")
def lab_fixture(tmp_path_factory):
    lab = started(tmp_path_factory.mktemp("graph") / "lab")
    lab.add_app_credential(CLIENT, secret=SECRET)
    lab.add_app_credential(READ_ONLY, secret=SECRET)
    register(lab)
    yield lab
    lab.stop()


def token(lab, client_id: str = CLIENT) -> str:
    return msal_token(lab, SECRET, client_id)["access_token"]


def call(lab, method, path, body=None, client_id=CLIENT, **kwargs):
    return LabSession(lab.ca_path).request(method, f"{lab.graph_url}/v1.0{path}", json=body, headers={"Authorization": f"Bearer {token(lab, client_id)}"},
                                           **kwargs)


def federation_id(lab, domain="lab.test") -> str:
    return lab.instance.runtime.estate.products["entra"].domain(domain).federation.id


# --- OAuth ---------------------------------------------------------------------------------------------
def test_discovery_names_the_token_endpoint_of_the_tenant(lab):
    answer = LabSession(lab.ca_path).get(f"{lab.graph_url}/{TENANT}/v2.0/.well-known/openid-configuration").json()
    assert answer["token_endpoint"] == f"{lab.graph_url}/{TENANT}/oauth2/v2.0/token"


def test_a_certificate_credential_gets_a_token_with_the_apps_roles(lab):
    certificate, key = client_certificate()
    answer = msal_token(lab, thumbprint_credential(certificate, key))
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["Domain.Read.All", "Domain-InternalFederation.ReadWrite.All", "RoleManagement.Read.Directory"]
    assert claims["aud"] == lab.graph_url and claims["appid"] == CLIENT


def test_a_pfx_credential_signs_with_ps256_and_x5t_s256(lab, tmp_path):
    certificate, key = client_certificate()
    path = write_pfx(tmp_path / "graph.pfx", certificate, key, "Pfx-Graph-1!")
    assert "access_token" in msal_token(lab, {"private_key_pfx_path": path, "passphrase": "Pfx-Graph-1!"})


def test_an_assertion_signed_by_another_key_is_refused_though_it_names_the_registered_certificate(lab):
    certificate, _key = client_certificate()
    _other, other_key = client_certificate("other")
    answer = msal_token(lab, {"private_key": key_pem(other_key), "thumbprint": certificate.fingerprint(hashes.SHA1()).hex()})
    assert answer["error"] == "invalid_client" and "AADSTS700027: Client assertion failed signature validation" in answer["error_description"]


def test_an_unregistered_certificate_is_refused(lab):
    certificate, key = client_certificate("unregistered")
    answer = msal_token(lab, thumbprint_credential(certificate, key))
    assert "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered" in answer["error_description"]


def test_an_assertion_for_another_audience_is_refused(lab):
    certificate, key = client_certificate()
    now = int(time.time())
    assertion = jwt.encode({"aud": "https://login.microsoftonline.com/other/oauth2/v2.0/token", "iss": CLIENT, "sub": CLIENT, "jti": str(uuid.uuid4()),
                            "exp": now + 300, "nbf": now}, key, algorithm="RS256",
                           headers={"x5t": base64.urlsafe_b64encode(certificate.fingerprint(hashes.SHA1())).decode().rstrip("=")})
    answer = LabSession(lab.ca_path).post(f"{lab.graph_url}/{TENANT}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": CLIENT, "scope": f"{lab.graph_url}/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion})
    assert answer.status_code == 401 and "invalid claim" in answer.json()["error_description"]


@pytest.mark.parametrize("client_id, credential, words", [
    (CLIENT, "wrong-secret", "AADSTS7000215: Invalid client secret provided"),
    ("11111111-2222-3333-4444-555555555555", SECRET, "AADSTS700016: Application with identifier"),
])
def test_wrong_secrets_and_unknown_apps_are_refused(lab, client_id, credential, words):
    assert words in msal_token(lab, credential, client_id)["error_description"]


# --- Graph ---------------------------------------------------------------------------------------------
def test_graph_refuses_a_missing_or_forged_token(lab):
    session = LabSession(lab.ca_path)
    assert session.get(f"{lab.graph_url}/v1.0/domains").status_code == 401
    forged = jwt.encode({"aud": lab.graph_url, "roles": ["Domain.ReadWrite.All"], "exp": int(time.time()) + 60}, key_pem(client_certificate()[1]),
                        algorithm="RS256")
    answer = session.get(f"{lab.graph_url}/v1.0/domains", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_domains_and_their_federation_are_listed(lab):
    domains = {item["id"]: item["authenticationType"] for item in call(lab, "GET", "/domains").json()["value"]}
    assert domains == {"lab.onmicrosoft.com": "Managed", "lab.test": "Federated", "contoso.test": "Federated"}
    federation = call(lab, "GET", "/domains/lab.test/federationConfiguration").json()["value"][0]
    assert federation["issuerUri"] == "http://sts.lab.test/adfs/services/trust"
    assert federation["signingCertificateUpdateStatus"]["certificateUpdateResult"] == "couldNotAccessRemoteHost"


def test_writing_the_federation_needs_the_write_permission(lab):
    body = {"displayName": "fs"}
    answer = call(lab, "PATCH", f"/domains/lab.test/federationConfiguration/{federation_id(lab)}", body, client_id=READ_ONLY)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "Authorization_RequestDenied"


def test_a_patch_sets_next_without_touching_signing_and_answers_with_the_object(lab):
    farm = lab.instance.runtime.estate.products["adfs"]["fs"]
    secondary = farm.newest_secondary(SIGNING)
    answer = call(lab, "PATCH", f"/domains/contoso.test/federationConfiguration/{federation_id(lab, 'contoso.test')}",
                  {"nextSigningCertificate": entra.b64(secondary.der)})
    assert answer.status_code == 200
    assert entra.thumbprint_of_text(answer.json()["nextSigningCertificate"]) == secondary.thumbprint
    assert entra.thumbprint_of_text(answer.json()["signingCertificate"]) == farm.primary_of(SIGNING).thumbprint
    record = [item for item in lab.audit() if item["host"] == "graph" and item["script"].startswith("PATCH")][-1]
    assert record["mutating"] and record["violations"] == []


@pytest.mark.parametrize("body, words", [
    ({"signingCertificate": "not base64!"}, "Invalid value specified for property 'signingCertificate'"),
    ({"signingCertificate": None}, "Invalid value specified for property 'signingCertificate'"),
    ({"signingCertificateUpdateStatus": {}}, "Property 'signingCertificateUpdateStatus' is read-only"),
])
def test_invalid_patches_are_refused_and_change_nothing(lab, body, words):
    before = lab.instance.runtime.estate.products["entra"].to_dict()
    answer = call(lab, "PATCH", f"/domains/lab.test/federationConfiguration/{federation_id(lab)}", body)
    assert answer.status_code == 400 and words in answer.json()["error"]["message"]
    assert lab.instance.runtime.estate.products["entra"].to_dict() == before


def test_a_batch_answers_each_request_with_its_own_status(lab):
    answer = call(lab, "POST", "/$batch", {"requests": [{"id": "1", "method": "GET", "url": "/domains/lab.test/federationConfiguration"},
                                                        {"id": "2", "method": "GET", "url": "/domains/nowhere.test/federationConfiguration"},
                                                        {"id": "3", "method": "GET", "url": MEMBERS}]}).json()
    statuses = {item["id"]: item["status"] for item in answer["responses"]}
    assert statuses == {"1": 200, "2": 404, "3": 200}
    members = next(item for item in answer["responses"] if item["id"] == "3")["body"]["value"]
    expected = [("admin@lab.onmicrosoft.com", None), ("alice@lab.test", True)]
    assert [(user["userPrincipalName"], user["onPremisesSyncEnabled"]) for user in members] == expected


def test_a_batch_of_more_than_twenty_is_refused(lab):
    requests_ = [{"id": str(number), "method": "GET", "url": "/domains"} for number in range(21)]
    assert call(lab, "POST", "/$batch", {"requests": requests_}).status_code == 400


# --- applications (store only, with a hook for the Exchange model) ---------------------------------------------
def certificate_der_base64() -> str:
    """A key credential's ``key``: a certificate's base64 DER (the Exchange model's hook checks that it is one)."""
    return base64.b64encode(client_certificate("application")[0].public_bytes(serialization.Encoding.DER)).decode("ascii")


def test_application_key_credentials_are_stored_and_their_key_returned_only_when_selected(tmp_path):
    application_id = str(uuid.uuid4())
    topology_lab = started(tmp_path / "apps")
    try:
        tenant = topology_lab.instance.runtime.estate.products["entra"]
        tenant.applications[application_id] = {"id": application_id, "appId": str(uuid.uuid4()), "displayName": "ExchangeServerApp", "keyCredentials": []}
        tenant.apps[CLIENT].roles.append("Application.ReadWrite.All")
        topology_lab.add_app_credential(CLIENT, secret=SECRET)
        key = certificate_der_base64()
        credential = {"customKeyIdentifier": "AB" * 20, "type": "AsymmetricX509Cert", "usage": "Verify", "key": key,
                      "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"}
        assert call(topology_lab, "PATCH", f"/applications/{application_id}", {"keyCredentials": [credential]}).status_code == 204
        plain = call(topology_lab, "GET", f"/applications/{application_id}").json()["keyCredentials"][0]
        selected = call(topology_lab, "GET", f"/applications/{application_id}", params={"$select": "keyCredentials"}).json()
        assert plain["key"] is None and plain["keyId"] and selected["keyCredentials"][0]["key"] == key
    finally:
        topology_lab.stop()


def test_an_application_patch_hook_can_refuse_a_patch():
    def refuse_long_credentials(tenant, application, body):
        del tenant, application
        if body.get("keyCredentials"):
            raise api.GraphApiError(400, "KeyCredentialLifetimeExceeded", "refused by a test hook")

    api.on_application_patch(refuse_long_credentials)
    try:
        tenant = entra.Tenant(tenant_id=TENANT, applications={"a": {"id": "a", "appId": "b", "displayName": "x", "keyCredentials": []}})
        credentials = [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": certificate_der_base64()}]
        request = api.ApiRequest("PATCH", "/applications/a", body={"keyCredentials": credentials}, roles=("Application.ReadWrite.All",))
        status, body, _mutating = api.dispatch(tenant, request)
        assert status == 400 and body["error"]["code"] == "KeyCredentialLifetimeExceeded" and tenant.applications["a"]["keyCredentials"] == []
    finally:
        api._APPLICATION_PATCH_HOOKS.remove(refuse_long_credentials)  # pylint: disable=protected-access


# --- faults ------------------------------------------------------------------------------------------------
def next_call(lab) -> int:
    return lab.graph_calls() + 1


def test_a_throttle_fault_answers_429_with_retry_after_and_applies_nothing(lab):
    lab.add_graph_fault(next_call(lab), "throttle", seconds=2)
    answer = call(lab, "GET", "/domains")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2" and answer.json()["error"]["code"] == "TooManyRequests"


@pytest.mark.parametrize("kind, status", [("http500", 500), ("http503", 503)])
def test_server_error_faults_answer_their_status(lab, kind, status):
    lab.add_graph_fault(next_call(lab), kind)
    assert call(lab, "GET", "/domains").status_code == status


def test_a_drop_fault_closes_the_connection_and_applies_nothing(lab):
    before = lab.instance.runtime.estate.products["entra"].to_dict()
    lab.add_graph_fault(next_call(lab), "drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        call(lab, "PATCH", f"/domains/lab.test/federationConfiguration/{federation_id(lab)}", {"displayName": "dropped"})
    assert lab.instance.runtime.estate.products["entra"].to_dict() == before


def test_a_timeout_after_fault_applies_the_write_and_loses_the_answer(lab):
    lab.instance.graph.hold = 3
    lab.add_graph_fault(next_call(lab), "timeout-after")
    with pytest.raises(requests.exceptions.ReadTimeout):
        call(lab, "PATCH", f"/domains/lab.test/federationConfiguration/{federation_id(lab)}", {"displayName": "applied"}, timeout=1)
    assert lab.instance.runtime.estate.products["entra"].domain("lab.test").federation.display_name == "applied"
    record = [item for item in lab.audit() if item["host"] == "graph" and item["fault"] == "timeout-after"][-1]
    assert record["mutating"] and record["failed"]


def test_unknown_fault_kinds_are_refused(lab):
    with pytest.raises(GraphFaultError, match="unknown Graph fault kind 'slowish'"):
        lab.add_graph_fault(1, "slowish")


# --- audit, TLS, metadata, inventory ----------------------------------------------------------------------
def test_the_audit_never_holds_the_secret_or_the_assertion(lab):
    certificate, key = client_certificate()
    msal_token(lab, thumbprint_credential(certificate, key))
    logins = [item for item in lab.audit() if item["module"] == "oauth2.token"]
    assert {item["parameters"].get("client_secret") for item in logins if "client_secret" in item["parameters"]} == {"********"}
    assert {item["parameters"].get("client_assertion") for item in logins if "client_assertion" in item["parameters"]} == {"********"}
    assert SECRET not in json.dumps(lab.audit()) and SECRET not in open(lab.instance.runtime.audit.path, encoding="utf-8").read()


def test_tls_is_served_with_a_lab_ca_certificate_that_default_trust_refuses(lab):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{lab.graph_url}/v1.0/domains", verify=True, timeout=10)


def test_the_federation_metadata_lists_the_primary_and_secondary_signing_certificates(lab):
    farm = lab.instance.runtime.estate.products["adfs"]["fs"]
    url = yaml.safe_load(open(lab.inventory_path, encoding="utf-8"))["all"]["vars"]["certops_lab_adfs_metadata_urls"]["fs"]
    document = ET.fromstring(LabSession(lab.ca_path).get(url).content)
    namespaces = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    path = "md:IDPSSODescriptor/md:KeyDescriptor[@use='signing']/ds:KeyInfo/ds:X509Data/ds:X509Certificate"
    signing = [element.text for element in document.findall(path, namespaces)]
    assert [entra.thumbprint_of_text(text) for text in signing] == [farm.primary_of(SIGNING).thumbprint, farm.newest_secondary(SIGNING).thumbprint]


def test_the_inventory_publishes_the_loopback_entra(lab):
    variables = yaml.safe_load(open(lab.inventory_path, encoding="utf-8"))["all"]["vars"]
    assert variables["certops_lab_graph_endpoint"] == variables["certops_lab_authority_host"] == lab.graph_url
    assert variables["certops_lab_tenant_id"] == TENANT and variables["certops_lab_graph_ca_path"] == lab.ca_path
    assert CLIENT in variables["certops_lab_graph_client_ids"]
