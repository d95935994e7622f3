# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller's Microsoft Graph client (module_utils/_graph.py): settings, credentials, retries, lost writes, batches, secrets.

Requests go to a recorded session (no network); the token is set beforehand. tests/lab/tests/test_graph_client_lab.py runs
the same client over real HTTPS, msal and OAuth against the lab's loopback Entra.
"""
from __future__ import annotations

import base64
import json

import pytest
import requests

from ansible_collections.certops.microsoft.plugins.module_utils import _graph as graph
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError, UncertainOutcome
from ansible_collections.certops.microsoft.tests.unit import certfactory as factory

SECRET = "Unit-Graph-Secret-Value-77"
TOKEN = "header." + base64.urlsafe_b64encode(json.dumps({"roles": ["Domain.Read.All"]}).encode()).decode().rstrip("=") + ".signature"
GRAPH_CERT = factory.make_cert(common_name="certops graph", days=90, not_before_days=-1, slot="graph")


def settings(**overrides) -> graph.GraphSettings:
    values = {"tenant_id": "contoso.onmicrosoft.com", "client_id": "6f6c1b8e-3c1e-4b1a-9d35-0c4f7e1d2a10", "client_secret": SECRET,
              "names": {"client_secret": "adfs_entra_graph_client_secret", "ca_path": "adfs_entra_graph_ca_path"}}
    values.update(overrides)
    return graph.GraphSettings(**values)


class Answer:
    """What requests returns, as much of it as the client reads."""

    def __init__(self, status=200, body=None, headers=None):
        self.status_code, self._body, self.headers, self.reason = status, body, headers or {}, "Reason"
        self.content = b"" if body is None else json.dumps(body).encode()

    def json(self):
        if self._body is None:
            raise ValueError("no body")
        return self._body


class Recorded:
    """A session answering from a list: an Answer, or an exception to raise; every request is kept."""

    def __init__(self, *answers):
        self.answers, self.sent = list(answers), []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(*answers, **overrides):
    waits = []
    made = graph.GraphClient(settings(**overrides), session=Recorded(*answers), sleep=waits.append)
    made._token = TOKEN  # pylint: disable=protected-access
    return made, waits


# --- settings and credentials --------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides, words", [
    ({"authority_host": "http://login.microsoftonline.com"}, "authority_host is 'http://login.microsoftonline.com': give an https:// URL"),
    ({"graph_endpoint": "https://graph.microsoft.com/v1.0"}, "graph_endpoint is 'https://graph.microsoft.com/v1.0'"),
    ({"tenant_id": "not a tenant"}, "tenant_id is 'not a tenant': give the tenant's ID"),
    ({"client_id": "certops"}, "client_id is 'certops': give the application (client) ID"),
    ({"client_secret": ""}, "give exactly one Graph credential"),
    ({"certificate_path": "/x.pfx"}, "give exactly one Graph credential: certificate_path"),
    ({"ca_path": "/nonexistent/ca.pem"}, "adfs_entra_graph_ca_path /nonexistent/ca.pem is not a readable file"),
])
def test_bad_settings_are_named_with_their_fix(overrides, words):
    assert any(words in problem for problem in graph.settings_problems(settings(**overrides)))


def test_sovereign_cloud_settings_give_its_authority_and_scope():
    sovereign = settings(authority_host="https://login.microsoftonline.us", graph_endpoint="https://graph.microsoft.us/")
    assert graph.settings_problems(sovereign) == []
    assert (sovereign.authority, sovereign.scope) == ("https://login.microsoftonline.us/contoso.onmicrosoft.com", "https://graph.microsoft.us/.default")


def test_a_pem_credential_gives_the_key_and_the_sha1_thumbprint(tmp_path):
    path = tmp_path / "graph.pem"
    path.write_bytes(factory.key_pem(GRAPH_CERT.key) + factory.pem(GRAPH_CERT.cert))
    credential = graph.client_credential(settings(client_secret="", certificate_path=str(path)))
    assert credential["thumbprint"] == GRAPH_CERT.cert.fingerprint(factory.hashes.SHA1()).hex().upper()
    assert credential["private_key"].startswith("-----BEGIN PRIVATE KEY-----")


def test_a_pfx_credential_goes_to_msal_by_path_with_its_password(tmp_path):
    path = tmp_path / "graph.pfx"
    path.write_bytes(factory.make_pfx(GRAPH_CERT))
    credential = graph.client_credential(settings(client_secret="", certificate_path=str(path), certificate_password=factory.PFX_PASSWORD))
    assert credential == {"private_key_pfx_path": str(path), "passphrase": factory.PFX_PASSWORD}


def test_a_pem_key_without_its_certificate_needs_the_thumbprint(tmp_path):
    path = tmp_path / "key.pem"
    path.write_bytes(factory.key_pem(GRAPH_CERT.key) + factory.pem(factory.make_cert(common_name="other", slot="other").cert))
    with pytest.raises(CertopsError, match="holds a private key but not its certificate"):
        graph.client_credential(settings(client_secret="", certificate_path=str(path)))
    credential = graph.client_credential(settings(client_secret="", certificate_path=str(path), certificate_thumbprint="aa" * 20))
    assert credential["thumbprint"] == "AA" * 20


def test_a_wrong_pfx_password_names_the_option_and_never_the_password(tmp_path):
    path = tmp_path / "graph.pfx"
    path.write_bytes(factory.make_pfx(GRAPH_CERT))
    with pytest.raises(CertopsError) as caught:
        graph.client_credential(settings(client_secret="", certificate_path=str(path), certificate_password="Wrong-Pass-123",
                                         names={"certificate_path": "adfs_entra_graph_certificate_path"}))
    assert "adfs_entra_graph_certificate_path" in str(caught.value) and "the PFX password is wrong" in str(caught.value)
    assert "Wrong-Pass-123" not in str(caught.value)


def test_an_expired_graph_certificate_is_refused(tmp_path):
    expired = factory.make_cert(common_name="old graph", days=-1, not_before_days=-100, slot="graph")
    path = tmp_path / "graph.pem"
    path.write_bytes(factory.key_pem(expired.key) + factory.pem(expired.cert))
    with pytest.raises(CertopsError, match="not now: register a current certificate on the app"):
        graph.client_credential(settings(client_secret="", certificate_path=str(path)))


def test_secrets_are_not_in_the_settings_repr():
    shown = repr(settings(certificate_password="Pfx-Pass-42"))
    assert SECRET not in shown and "Pfx-Pass-42" not in shown


# --- requests, retries, lost writes -----------------------------------------------------------------------------
def test_throttling_is_honoured_with_retry_after_then_the_answer_is_returned():
    made, waits = client(Answer(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "7"}), Answer(200, {"value": [1]}))
    assert made.get("/domains") == {"value": [1]} and waits == [7.0]
    assert made.session.sent[0][0:2] == ("GET", "https://graph.microsoft.com/v1.0/domains")
    assert made.session.sent[0][2]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_a_retry_after_longer_than_allowed_stops_without_waiting():
    made, waits = client(Answer(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "600"}))
    with pytest.raises(CertopsError, match="asked to wait 600 s, more than 60 s; nothing was changed by this request"):
        made.patch("/domains/x/federationConfiguration/y", {"nextSigningCertificate": None})
    assert waits == []


def test_server_errors_are_retried_a_bounded_number_of_times_then_a_read_fails_clearly():
    made, waits = client(*[Answer(503, {"error": {"code": "serviceNotAvailable", "message": "busy"}}) for _attempt in range(4)])
    with pytest.raises(graph.GraphError, match="GET /domains with HTTP 503 serviceNotAvailable: busy"):
        made.get("/domains")
    assert len(made.session.sent) == 4 and waits == [1.0, 2.0, 4.0]


def test_a_write_that_keeps_failing_with_5xx_is_uncertain():
    made, _waits = client(*[Answer(500, {"error": {"code": "InternalServerError"}}) for _attempt in range(4)])
    with pytest.raises(UncertainOutcome, match="may or may not have been applied"):
        made.patch("/domains/x/federationConfiguration/y", {"nextSigningCertificate": None})


def test_a_write_whose_answer_times_out_is_uncertain_and_not_sent_again():
    made, _waits = client(requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(UncertainOutcome, match="did not answer within 30 s; the change may or may not have been applied"):
        made.patch("/domains/x/federationConfiguration/y", {"signingCertificate": "AAAA"})
    assert len(made.session.sent) == 1


def test_a_write_that_could_not_connect_is_retried_since_nothing_was_sent():
    refused = requests.exceptions.ConnectionError("HTTPSConnectionPool: NewConnectionError: [Errno 111] Connection refused")
    made, waits = client(refused, Answer(200, {"id": "y"}))
    assert made.patch("/domains/x/federationConfiguration/y", {}) == {"id": "y"} and waits == [1]


def test_a_read_that_times_out_is_retried():
    made, _waits = client(requests.exceptions.ReadTimeout("read timed out"), Answer(200, {"value": []}))
    assert made.get("/domains") == {"value": []}


def test_a_tls_failure_names_the_ca_option_and_is_not_retried():
    made, _waits = client(requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer"))
    with pytest.raises(CertopsError, match="is not trusted .*set adfs_entra_graph_ca_path to its PEM bundle"):
        made.get("/domains")
    assert len(made.session.sent) == 1


def test_a_refusal_shows_graphs_code_and_message_and_never_the_token_or_secret():
    made, _waits = client(Answer(403, {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}))
    with pytest.raises(graph.GraphError) as caught:
        made.patch("/domains/x/federationConfiguration/y", {"signingCertificate": "AAAA"})
    assert str(caught.value) == ("Microsoft Graph answered PATCH /domains/x/federationConfiguration/y with HTTP 403 Authorization_RequestDenied: "
                                 "Insufficient privileges to complete the operation.")
    assert caught.value.status == 403 and TOKEN not in str(caught.value) and SECRET not in str(caught.value)


def test_a_204_answer_is_none():
    made, _waits = client(Answer(204))
    assert made.patch("/applications/1", {"keyCredentials": []}) is None


def test_the_token_roles_are_read_from_the_access_token():
    made, _waits = client()
    assert made.roles() == ["Domain.Read.All"]
    made._token = "opaque"  # pylint: disable=protected-access
    assert made.roles() is None


# --- $batch ----------------------------------------------------------------------------------------------------
def batch_answer(*items):
    return Answer(200, {"responses": [{"id": str(number), "status": status, "headers": headers, "body": {"n": number}}
                                      for number, status, headers in items]})


def test_a_batch_is_sent_in_chunks_of_twenty_and_keeps_every_answer_by_id():
    requests_ = [{"id": str(number), "method": "GET", "url": f"/domains/d{number}"} for number in range(1, 26)]
    made, _waits = client(batch_answer(*[(n, 200, {}) for n in range(1, 21)]), batch_answer(*[(n, 200, {}) for n in range(21, 26)]))
    answers = made.batch(requests_)
    assert sorted(answers, key=int) == [str(n) for n in range(1, 26)] and answers["25"] == {"status": 200, "body": {"n": 25}}
    assert [len(sent[2]["json"]["requests"]) for sent in made.session.sent] == [20, 5]


def test_a_throttled_request_inside_a_batch_is_sent_again_after_its_retry_after():
    requests_ = [{"id": "1", "method": "GET", "url": "/a"}, {"id": "2", "method": "GET", "url": "/b"}]
    made, waits = client(batch_answer((1, 200, {}), (2, 429, {"Retry-After": "3"})), batch_answer((2, 200, {})))
    answers = made.batch(requests_)
    assert answers["2"]["status"] == 200 and waits == [3.0]
    assert made.session.sent[1][2]["json"]["requests"] == [{"id": "2", "method": "GET", "url": "/b"}]


def test_a_batch_of_reads_that_times_out_is_retried_not_uncertain():
    made, _waits = client(requests.exceptions.ReadTimeout("read timed out"), batch_answer((1, 200, {})))
    assert made.batch([{"id": "1", "method": "GET", "url": "/a"}])["1"]["status"] == 200


# --- TLS validation --------------------------------------------------------------------------------------------
def test_every_request_validates_tls_with_the_given_bundle_even_when_the_environment_names_another(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(factory.pem(factory.make_ca().cert))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    seen = {}

    def capture(self, request, **kwargs):
        seen.update(kwargs)
        raise requests.exceptions.ConnectionError("stop here: Connection refused")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", capture)
    session = graph._session(settings(ca_path=str(bundle)))  # pylint: disable=protected-access
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("https://graph.microsoft.com/v1.0/domains")
    assert seen["verify"] == str(bundle) and seen["timeout"] == 30.0
