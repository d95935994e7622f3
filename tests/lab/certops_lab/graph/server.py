# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's Microsoft Entra endpoints on 127.0.0.1 over HTTPS (a lab CA certificate): login, Graph, federation metadata.

One listener serves, under ``https://127.0.0.1:<port>``:

- ``/<tenant>/v2.0/.well-known/openid-configuration`` and ``/<tenant>/oauth2/v2.0/token`` (oauth.py):
  the authority is the base URL, as ``https://login.microsoftonline.com`` is for the public cloud;
- ``/v1.0/...`` and ``/v1.0/$batch``: Microsoft Graph (api.py); the Graph endpoint is the base URL,
  as ``https://graph.microsoft.com`` is, so the token scope is ``<base>/.default``;
- ``/federationmetadata/<farm>/2007-06/FederationMetadata.xml``: each AD FS farm's metadata.

Every login and Graph request is audited (host ``graph``, secrets masked); a Graph request that
changes the tenant is followed by the invariant check, as a WinRM call is. Graph requests are
numbered from 1 (``calls``) and a fault planned at a number (faults.py) fires on that request.
"""
from __future__ import annotations

import json
import os
import ssl
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from certops_lab.audit import MASK, AuditRecord, mask_nested
from certops_lab.clock import isoformat
from certops_lab.graph import api, oauth
from certops_lab.graph.faults import AFTER, GraphFaultPlan
from certops_lab.graph.metadata import federation_metadata
from certops_lab.runtime import write_json_atomically

GRAPH_FILE = "graph.json"
GRAPH_PREFIX = "/v1.0"
HOST = "graph"


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"
    fault: str = ""                 # drop / timeout: how the answer is lost

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return b"" if self.body is None else json.dumps(self.body).encode("utf-8")


@dataclass
class Incoming:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


class _Listener(ThreadingHTTPServer):
    """A client that rejects the lab CA or goes away mid-request is the client's business: no traceback in the lab log."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class GraphServer:
    """The Entra endpoints of one estate (``runtime``: its EstateRuntime)."""

    def __init__(self, runtime, ca, state_dir: Optional[str] = None, hold: float = 40.0):
        self.runtime, self.ca, self.state_dir, self.hold = runtime, ca, state_dir, hold
        saved = self._saved()
        self.faults = GraphFaultPlan(saved.get("faults"))
        self.calls, self.logins = int(saved.get("calls", 0)), int(saved.get("logins", 0))
        self.port = int(saved.get("port", 0))
        self._counter = threading.Lock()
        self._httpd: Optional[ThreadingHTTPServer] = None

    # --- life cycle ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> "GraphServer":
        try:
            self._httpd = _Listener(("127.0.0.1", self.port), _Handler)
        except OSError:
            self._httpd = _Listener(("127.0.0.1", 0), _Handler)
        self._httpd.graph = self
        # The handshake happens in the request's thread, so that a slow client never holds up the listener.
        self._httpd.socket = self._tls_context().wrap_socket(self._httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, name="certops-lab-graph", daemon=True).start()
        self.save()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self.save()

    def _tls_context(self) -> ssl.SSLContext:
        cert_pem, key_pem = self.ca.issue_server_certificate()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        with tempfile.TemporaryDirectory(prefix="certops-lab-graph-") as directory:
            chain = os.path.join(directory, "server.pem")
            descriptor = os.open(chain, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(cert_pem + key_pem)
            context.load_cert_chain(chain)
        return context

    def _saved(self) -> dict:
        try:
            with open(os.path.join(self.state_dir or "", GRAPH_FILE), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def save(self) -> None:
        if self.state_dir:
            write_json_atomically(os.path.join(self.state_dir, GRAPH_FILE), {"port": self.port, "calls": self.calls, "logins": self.logins,
                                                                             "faults": self.faults.to_list()})

    @property
    def tenant(self):
        return self.runtime.estate.products.get("entra")

    # --- requests --------------------------------------------------------------------------------
    def handle(self, request: Incoming) -> Reply:
        """The answer to one HTTPS request (a fault may turn it into a lost answer)."""
        parts = [part for part in request.path.split("/") if part]
        if request.path.startswith(GRAPH_PREFIX + "/"):
            return self.graph_request(request)
        if request.method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"] and self._tenant_matches(parts[0]):
            return Reply(200, oauth.openid_configuration(self.base_url, self.tenant.tenant_id))
        if request.method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self.token_request(parts[0], request)
        if request.method == "GET" and len(parts) == 4 and parts[0] == "federationmetadata":
            return self.metadata_request(parts[1])
        return Reply(404, {"error": {"code": "NotFound", "message": f"No endpoint at {request.path}."}})

    def _tenant_matches(self, name: str) -> bool:
        return self.tenant is not None and (name.lower() == self.tenant.tenant_id or self.tenant.domain(name) is not None)

    def metadata_request(self, farm_name: str) -> Reply:
        farm = self.runtime.estate.products.get("adfs", {}).get(farm_name)
        if farm is None:
            return Reply(404, {"error": {"code": "NotFound", "message": f"No AD FS farm {farm_name}."}})
        with self.runtime.lock:
            return Reply(200, federation_metadata(farm), content_type="application/samlmetadata+xml")

    def token_request(self, tenant_name: str, request: Incoming) -> Reply:
        with self._counter:
            self.logins += 1
            number = self.logins
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        record = self._record(f"login#{number}", "oauth2.token", f"POST /{tenant_name}/oauth2/v2.0/token", token_parameters(form))
        try:
            if not self._tenant_matches(tenant_name):
                raise oauth.OAuthError(400, "invalid_request", f"AADSTS90002: Tenant '{tenant_name}' not found.")
            with self.runtime.lock:
                reply = Reply(200, oauth.issue_token(self.tenant, form, self.base_url))
        except oauth.OAuthError as error:
            reply = Reply(error.status, error.body())
        record.failed, record.rc = reply.status >= 400, reply.status
        self.runtime.audit.append(record)
        return reply

    def graph_request(self, request: Incoming) -> Reply:
        with self._counter:
            self.calls += 1
            number = self.calls
        path = request.path[len(GRAPH_PREFIX):]
        record = self._record(f"graph#{number}", "microsoft.graph", f"{request.method} {path}",
                              {"method": request.method, "path": path, "query": request.query, "body": mask_nested(_json(request.body))})
        fault = self.faults.take(number)
        if fault is not None and fault.kind not in AFTER:
            reply = fault_reply(fault)
        else:
            reply = self.authorized(request, path, record)
        if fault is not None:
            record.fault = fault.kind
            reply.fault = {"drop-after": "drop", "timeout-after": "timeout"}.get(fault.kind, reply.fault)
        record.failed, record.rc = reply.status >= 400 or bool(reply.fault), reply.status
        self.runtime.audit.append(record)
        return reply

    def authorized(self, request: Incoming, path: str, record: AuditRecord) -> Reply:
        try:
            claims = oauth.verify_access_token(self.tenant, request.headers.get("authorization", ""), self.base_url)
        except ValueError as error:
            return Reply(401, api.GraphApiError(401, "InvalidAuthenticationToken", str(error)).body())
        roles = tuple(claims.get("roles") or ())
        if request.method == "POST" and path == "/$batch":
            return self.batch(request, roles, record)
        status, body = self.apply(api.ApiRequest(request.method, path, request.query, _json(request.body), roles), record)
        return Reply(status, body)

    def apply(self, request: api.ApiRequest, record: AuditRecord) -> tuple:
        """Dispatch under the estate lock; a change of the tenant is saved and followed by the invariant check."""
        with self.runtime.lock:
            before = json.dumps(self.tenant.to_dict(), sort_keys=True)
            status, body, _mutating = api.dispatch(self.tenant, request)
            if json.dumps(self.tenant.to_dict(), sort_keys=True) != before:
                record.mutating = record.changed = True
                record.violations = self.runtime.record_violations(record.call_id, HOST, record.module, record.script)
                self.runtime.save()
        return status, body

    def batch(self, request: Incoming, roles: tuple, record: AuditRecord) -> Reply:
        """JSON batching: each request answered on its own; more than 20 is refused as Graph does."""
        requests = (_json(request.body) or {}).get("requests")
        if not isinstance(requests, list) or not 0 < len(requests) <= api.BATCH_LIMIT:
            return Reply(400, api.GraphApiError(400, "BadRequest", f"A batch request must hold 1 to {api.BATCH_LIMIT} requests.").body())
        responses = []
        for item in requests:
            url = urlsplit(str(item.get("url") or ""))
            inner = api.ApiRequest(str(item.get("method") or "GET").upper(), unquote(url.path), dict(parse_qsl(url.query)),
                                   item.get("body"), roles)
            status, body = self.apply(inner, record)
            responses.append({"id": str(item.get("id")), "status": status, "headers": {"Content-Type": "application/json"}, "body": body})
        return Reply(200, {"responses": responses})

    def _record(self, call_id: str, module: str, script: str, parameters: dict) -> AuditRecord:
        return AuditRecord(call_id=call_id, time=isoformat(self.runtime.clock.now()), host=HOST, module=module, script=script,
                           parameters=parameters)


def token_parameters(form: dict) -> dict:
    """What the audit keeps of a token request: never the assertion or the secret."""
    shown = {key: form.get(key) for key in ("grant_type", "client_id", "scope", "client_assertion_type") if key in form}
    shown.update({key: MASK for key in ("client_assertion", "client_secret") if key in form})
    return shown


def fault_reply(fault) -> Reply:
    if fault.kind == "throttle":
        return Reply(429, api.GraphApiError(429, "TooManyRequests", "Too many requests.").body(), {"Retry-After": str(int(fault.seconds))})
    if fault.kind == "http503":
        error = api.GraphApiError(503, "serviceNotAvailable", "The service is temporarily unavailable.")
        return Reply(503, error.body(), {"Retry-After": str(int(fault.seconds))})
    if fault.kind == "http500":
        return Reply(500, api.GraphApiError(500, "InternalServerError", "An internal server error occurred.").body())
    return Reply(0, None, fault=fault.kind)


def _json(body):
    if isinstance(body, (bytes, bytearray)):
        try:
            return json.loads(body) if body else None
        except ValueError:
            return None
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def _serve(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = Incoming(self.command, unquote(url.path), dict(parse_qsl(url.query)), {k.lower(): v for k, v in self.headers.items()}, body)
        reply = self.server.graph.handle(request)
        if reply.fault:
            self._lose(reply.fault)
            return
        payload = reply.payload()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _lose(self, kind: str) -> None:
        """The answer never comes: at once (drop) or after the hold time (timeout)."""
        if kind == "timeout":
            time.sleep(self.server.graph.hold)
        self.close_connection = True

    do_GET = do_POST = do_PATCH = _serve  # noqa: N815  pylint: disable=invalid-name

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: requests are audited instead."""
