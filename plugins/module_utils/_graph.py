# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small Microsoft Graph client for the controller: app-only token with msal, then get / patch / post / $batch over paths.

PRIVATE to the collection: the name and location may change without notice.

- Token: msal ``ConfidentialClientApplication``, client credentials flow, with a certificate (a PEM
  holding the key and its certificate, or the key and a thumbprint; or a PFX) or a client secret
  ("Microsoft identity platform application authentication certificate credentials"). The scope
  is ``<graph endpoint>/.default``, so a sovereign cloud is two settings: the authority host
  (login.microsoftonline.us, login.chinacloudapi.cn, ...) and the Graph endpoint
  (graph.microsoft.us, microsoftgraph.chinacloudapi.cn, ...) ("National cloud deployments").
- TLS is always validated; ``ca_path`` adds a bundle for a private CA. It is passed with every
  request: requests lets REQUESTS_CA_BUNDLE from the environment override a session's own bundle
  (psf/requests#3829), which would silently swap the trust the user configured.
- Throttling: 429 and 503 are retried after ``Retry-After`` ("Microsoft Graph throttling
  guidance"), other 5xx with a short backoff, ``retries`` times at most; a wait longer than
  ``max_retry_after`` is not sat out but reported.
- A write whose answer is lost (a timeout, a connection dropped after the request was sent, a 5xx
  that retries did not clear) raises UncertainOutcome: it may have been applied; the caller reads
  the live state again. Reads are retried instead.
- Secrets (the client secret, the key and its password) never appear in a message, a repr or a
  log line of this module; Graph's own error code and message are shown, never a request.
"""
from __future__ import annotations

import base64
import dataclasses
import email.utils
import json
import re
import time

from ansible_collections.certops.microsoft.plugins.module_utils import _cryptography as crypto
from ansible_collections.certops.microsoft.plugins.module_utils._cert_describe import private_key_matches
from ansible_collections.certops.microsoft.plugins.module_utils._cert_load import load_bundle, read_certificate_file
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError, UncertainOutcome
from ansible_collections.certops.microsoft.plugins.module_utils._thumbprint import normalize_thumbprint
from ansible_collections.certops.microsoft.plugins.module_utils._time import utc_now

try:
    import msal
    import requests
    HAS_GRAPH_LIBRARIES = True
except ImportError:
    HAS_GRAPH_LIBRARIES = False

PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
PUBLIC_GRAPH = "https://graph.microsoft.com"
BATCH_LIMIT = 20                        # JSON batching: at most 20 requests per $batch
RETRIED_STATUSES = (429, 500, 502, 503, 504)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")


@dataclasses.dataclass(frozen=True)
class GraphSettings:
    """Where and as whom to call Graph. ``names`` maps each field to the option the user sets (for messages)."""

    tenant_id: str
    client_id: str
    authority_host: str = PUBLIC_AUTHORITY
    graph_endpoint: str = PUBLIC_GRAPH
    certificate_path: str = ""
    certificate_thumbprint: str = ""
    certificate_password: str = dataclasses.field(default="", repr=False)
    client_secret: str = dataclasses.field(default="", repr=False)
    ca_path: str = ""
    timeout: float = 30.0
    retries: int = 3
    max_retry_after: float = 60.0
    names: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def name(self, field: str) -> str:
        return self.names.get(field, field)

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id}"

    @property
    def scope(self) -> str:
        return f"{self.graph_endpoint.rstrip('/')}/.default"


class GraphError(CertopsError):
    """Graph answered with an error: ``status`` and Graph's ``code``."""

    def __init__(self, message: str, status: int = 0, code: str = ""):
        super().__init__(message)
        self.status, self.code = status, code


# --- settings and credential, checked before any request ----------------------------------------------
def _https_url(settings: GraphSettings, field: str) -> list:
    value = getattr(settings, field)
    if not re.match(r"^https://[^/\s]+/?$", str(value or "")):
        return [f"{settings.name(field)} is {value!r}: give an https:// URL without a path, e.g. "
                f"{PUBLIC_AUTHORITY if field == 'authority_host' else PUBLIC_GRAPH}"]
    return []


def _identity_problems(settings: GraphSettings) -> list:
    problems = []
    if not (_GUID.match(settings.tenant_id or "") or _DOMAIN.match(settings.tenant_id or "")):
        problems.append(f"{settings.name('tenant_id')} is {settings.tenant_id!r}: give the tenant's ID (a GUID) or its initial domain "
                        "(contoso.onmicrosoft.com)")
    if not _GUID.match(settings.client_id or ""):
        problems.append(f"{settings.name('client_id')} is {settings.client_id!r}: give the application (client) ID of the app "
                        "registration, a GUID")
    return problems


def _credential_problems(settings: GraphSettings) -> list:
    given = [field for field in ("certificate_path", "client_secret") if getattr(settings, field)]
    if len(given) != 1:
        return [f"give exactly one Graph credential: {settings.name('certificate_path')} (a certificate registered on the app, "
                f"preferred) or {settings.name('client_secret')}" + (", not both" if given else "")]
    if settings.ca_path and not _readable(settings.ca_path):
        return [f"{settings.name('ca_path')} {settings.ca_path} is not a readable file: give the PEM bundle of the CA that issued the "
                "TLS certificates of the authority and Graph endpoints"]
    return []


def _readable(path: str) -> bool:
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


def settings_problems(settings: GraphSettings) -> list:
    """Every problem of the settings, one sentence each naming the option and the fix (empty when usable)."""
    problems = _https_url(settings, "authority_host") + _https_url(settings, "graph_endpoint") + _identity_problems(settings)
    problems += _credential_problems(settings)
    try:
        int(settings.retries)
        float(settings.timeout)
    except (TypeError, ValueError):
        problems.append("the Graph timeout and retries must be numbers")
    return problems


def _key_pem(key) -> str:
    return key.private_bytes(crypto.serialization.Encoding.PEM, crypto.serialization.PrivateFormat.PKCS8,
                             crypto.serialization.NoEncryption()).decode("ascii")


def _leaf_with_key(bundle, settings: GraphSettings):
    for certificate in bundle.certificates:
        if private_key_matches(certificate, bundle.private_key):
            return certificate
    if settings.certificate_thumbprint:
        return None
    raise CertopsError(f"{settings.name('certificate_path')} {settings.certificate_path} holds a private key but not its certificate: "
                       f"add the certificate to the file or set {settings.name('certificate_thumbprint')}")


def _check_validity(certificate, settings: GraphSettings) -> None:
    now = utc_now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise CertopsError(f"the Graph client certificate in {settings.certificate_path} is valid from "
                           f"{certificate.not_valid_before_utc:%Y-%m-%d} to {certificate.not_valid_after_utc:%Y-%m-%d}, not now: "
                           "register a current certificate on the app and give it here")


def certificate_credential(settings: GraphSettings) -> dict:
    """msal's client_credential for the certificate: a PFX by path (PS256, x5t#S256), or the key and SHA-1 thumbprint (RS256, x5t)."""
    data = read_certificate_file(settings.certificate_path)
    try:
        bundle = load_bundle(data, settings.certificate_password or None)
    except CertopsError as error:
        raise CertopsError(f"{settings.name('certificate_path')} {settings.certificate_path}: {error}") from None
    if bundle.private_key is None:
        raise CertopsError(f"{settings.name('certificate_path')} {settings.certificate_path} holds no private key: give the PEM with the "
                           "key (or the PFX) of the certificate registered on the app")
    leaf = _leaf_with_key(bundle, settings)
    if leaf is not None:
        _check_validity(leaf, settings)
    if bundle.source_format == "pkcs12":
        return {"private_key_pfx_path": settings.certificate_path, "passphrase": settings.certificate_password or None}
    thumbprint = normalize_thumbprint(settings.certificate_thumbprint) if leaf is None else leaf.fingerprint(crypto.hashes.SHA1()).hex().upper()
    return {"private_key": _key_pem(bundle.private_key), "thumbprint": thumbprint}


def client_credential(settings: GraphSettings):
    return certificate_credential(settings) if settings.certificate_path else settings.client_secret


# --- transport ------------------------------------------------------------------------------------------
def _session(settings: GraphSettings):
    """A requests session that always validates TLS against the configured bundle (see the module docstring)."""
    if not HAS_GRAPH_LIBRARIES:
        raise CertopsError("the Python libraries msal and requests are required on the controller for Microsoft Graph: "
                           "pip install msal requests")

    class _ValidatingSession(requests.Session):
        def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
            kwargs["verify"] = settings.ca_path or True
            kwargs.setdefault("timeout", settings.timeout)
            return super().request(method, url, *args, **kwargs)

    return _ValidatingSession()


def transport_message(error: Exception, url: str, settings: GraphSettings) -> str:
    """One line for a network failure; TLS failures name the CA option."""
    if isinstance(error, requests.exceptions.SSLError):
        return (f"the TLS certificate of {url} is not trusted ({_reason(error)}): if a private CA issued it, set "
                f"{settings.name('ca_path')} to its PEM bundle")
    if isinstance(error, requests.exceptions.Timeout):
        return f"{url} did not answer within {settings.timeout:g} s"
    return f"cannot reach {url}: {_reason(error)}"


def _reason(error: Exception) -> str:
    text = str(error)
    found = re.search(r"\[SSL[^\]]*\][^)'\"]*|Connection refused|Name or service not known|Remote end closed connection without response", text)
    return found.group(0).strip() if found else type(error).__name__


def sent_and_lost(error: Exception) -> bool:
    """Whether the request may have reached the server (anything but a failure to connect)."""
    if isinstance(error, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return False
    return not re.search(r"NewConnectionError|Connection refused|Name or service not known", str(error))


def retry_after(response, settings: GraphSettings, attempt: int) -> float:
    """Seconds to wait before retrying: Retry-After (seconds or an HTTP date), else 1, 2, 4... for a 5xx."""
    header = response.headers.get("Retry-After")
    if header is None:
        return float(min(2 ** attempt, settings.max_retry_after))
    try:
        return max(0.0, float(header))
    except ValueError:
        moment = email.utils.parsedate_to_datetime(header)
        return max(0.0, (moment - utc_now()).total_seconds()) if moment else 1.0


def graph_error(method: str, path: str, response) -> GraphError:
    """Graph's error code and message (never the request) for a failed call."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code, message = str(error.get("code") or ""), " ".join(str(error.get("message") or response.reason or "").split())
    return GraphError(f"Microsoft Graph answered {method} {path} with HTTP {response.status_code}" + (f" {code}" if code else "") +
                      (f": {message}" if message else ""), response.status_code, code)


class GraphClient:
    """Microsoft Graph over paths (``/domains``, ``/applications/{id}``) with one app-only token per client."""

    def __init__(self, settings: GraphSettings, session=None, sleep=time.sleep, api_version: str = "v1.0"):
        self.settings, self.sleep, self.api_version = settings, sleep, api_version
        self.session = session if session is not None else _session(settings)
        self._token = ""
        self.requests = 0               # Graph requests sent (retries included), for cost figures

    # --- token ----------------------------------------------------------------------------------------
    def token(self) -> str:
        if not self._token:
            self._token = self._acquire()
        return self._token

    def _application(self):
        try:
            return msal.ConfidentialClientApplication(self.settings.client_id, client_credential=client_credential(self.settings),
                                                      authority=self.settings.authority, http_client=self.session, instance_discovery=False)
        except requests.exceptions.RequestException as error:
            raise CertopsError(transport_message(error, self.settings.authority, self.settings)) from None
        except ValueError as error:
            raise CertopsError(f"the authority {self.settings.authority} does not know tenant {self.settings.tenant_id} "
                               f"({' '.join(str(error).split())[:300]}): check {self.settings.name('tenant_id')} and "
                               f"{self.settings.name('authority_host')}") from None

    def _acquire(self) -> str:
        application = self._application()
        try:
            result = application.acquire_token_for_client(scopes=[self.settings.scope])
        except requests.exceptions.RequestException as error:
            raise CertopsError(transport_message(error, self.settings.authority, self.settings)) from None
        if "access_token" not in result:
            description = " ".join(str(result.get("error_description") or result.get("error") or "no token").split())
            raise CertopsError(f"Microsoft Entra refused a token to app {self.settings.client_id} at {self.settings.authority}: "
                               f"{description.split(' Trace ID:', maxsplit=1)[0]}")
        return result["access_token"]

    def roles(self):
        """The application permissions in the token (its ``roles`` claim); None when the token cannot be read as a JWT."""
        try:
            payload = self.token().split(".")[1]
            return list(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("roles") or [])
        except (IndexError, ValueError):
            return None

    # --- requests -------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"{self.settings.graph_endpoint.rstrip('/')}/{self.api_version}/{path.lstrip('/')}"

    def _send(self, method: str, path: str, params=None, body=None):
        self.requests += 1
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        return self.session.request(method, self.url(path), params=params, json=body, headers=headers)

    def request(self, method: str, path: str, params=None, body=None, write=None):
        """The JSON answer (None for 204); retries throttling, 5xx and failed reads; a lost write raises UncertainOutcome.
        ``write`` defaults to "not a GET" ($batch of reads passes False)."""
        write = method.upper() != "GET" if write is None else write
        failure = ""
        for attempt in range(int(self.settings.retries) + 1):
            response, failure = self._attempt(method, path, params, body, write)
            if response is None:
                self.sleep(min(2 ** attempt, self.settings.max_retry_after))
                continue
            if response.status_code not in RETRIED_STATUSES or attempt == int(self.settings.retries):
                return self._result(method, path, response, write)
            self._wait(method, path, response, attempt)
        raise CertopsError(f"Microsoft Graph {method} {path} failed {int(self.settings.retries) + 1} times: {failure}; re-run later")

    def _attempt(self, method: str, path: str, params, body, write: bool) -> tuple:
        """(response, "") or (None, why it failed) for a read that may be retried."""
        try:
            return self._send(method, path, params, body), ""
        except requests.exceptions.RequestException as error:
            message = transport_message(error, self.url(path), self.settings)
            if write and sent_and_lost(error):
                raise UncertainOutcome(f"Microsoft Graph {method} {path}: {message}; the change may or may not have been applied") from None
            if isinstance(error, requests.exceptions.SSLError):
                raise CertopsError(message) from None
            return None, message

    def _wait(self, method: str, path: str, response, attempt: int) -> None:
        seconds = retry_after(response, self.settings, attempt)
        if seconds > self.settings.max_retry_after:
            raise GraphError(f"Microsoft Graph throttled {method} {path} and asked to wait {seconds:.0f} s, more than "
                             f"{self.settings.max_retry_after:.0f} s; nothing was changed by this request: re-run later", response.status_code)
        self.sleep(seconds)

    def _result(self, method: str, path: str, response, write: bool):
        if response.status_code >= 500 and write:
            raise UncertainOutcome(f"{graph_error(method, path, response)}, also after {self.settings.retries} retries; the change may or "
                                   "may not have been applied")
        if response.status_code >= 400:
            raise graph_error(method, path, response)
        return response.json() if response.content else None

    def get(self, path: str, params=None):
        return self.request("GET", path, params=params)

    def patch(self, path: str, body: dict):
        return self.request("PATCH", path, body=body)

    def post(self, path: str, body: dict):
        return self.request("POST", path, body=body)

    # --- $batch -----------------------------------------------------------------------------------------
    def batch(self, requests_: list) -> dict:
        """{id: {"status", "body"}} of GET requests sent as JSON batches of 20; throttled or failed ones are sent again."""
        answers, pending = {}, list(requests_)
        for attempt in range(int(self.settings.retries) + 1):
            retry, wait = [], 0.0
            for start in range(0, len(pending), BATCH_LIMIT):
                chunk = pending[start:start + BATCH_LIMIT]
                for item in (self.request("POST", "/$batch", body={"requests": chunk}, write=False) or {}).get("responses", []):
                    answers[str(item.get("id"))] = {"status": int(item.get("status") or 0), "body": item.get("body")}
                    if answers[str(item.get("id"))]["status"] in RETRIED_STATUSES and attempt < int(self.settings.retries):
                        retry.append(next(request for request in chunk if str(request["id"]) == str(item.get("id"))))
                        wait = max(wait, float((item.get("headers") or {}).get("Retry-After") or 2 ** attempt))
            if not retry:
                return answers
            self.sleep(min(wait, self.settings.max_retry_after))
            pending = retry
        return answers
