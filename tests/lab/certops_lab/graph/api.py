# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Microsoft Graph v1.0 resources the lab tenant serves, with the permissions Graph documents for each.

Routes are registered with ``graph_route(method, pattern, roles)``; a product model of the lab can
register more (``pattern`` is a regular expression over the path after ``/v1.0``; its named
groups reach the handler). A handler is ``fn(tenant, request) -> (status, body)`` and raises
``GraphApiError`` for a Graph error response. ``roles`` are the application permissions any one of
which grants the call (the "Permissions" table of the resource's page); without one of them the
call gets 403 Authorization_RequestDenied, as Graph answers.

Served here:
- ``GET /domains``, ``GET /domains/{id}`` (List/Get domain: Domain.Read.All, Domain.ReadWrite.All,
  Directory.Read.All, Directory.ReadWrite.All);
- ``GET /domains/{id}/federationConfiguration`` (List internalDomainFederations: Domain.Read.All,
  Domain.ReadWrite.All), ``GET .../federationConfiguration/{id}`` (Get internalDomainFederation:
  Domain-InternalFederation.Read.All and the higher ones), ``PATCH .../federationConfiguration/{id}``
  (Update internalDomainFederation: Domain-InternalFederation.ReadWrite.All, Domain.ReadWrite.All;
  200 with the updated object);
- ``GET /directoryRoles(roleTemplateId='{id}')/members`` (List members of a directory role);
- ``GET /applications/{id}``, ``GET /applications(appId='{appId}')``, ``PATCH /applications/{id}``:
  the application and its ``keyCredentials``, stored as given; ``key`` is returned only when
  ``$select`` names keyCredentials on a single object, as Graph documents. Hooks registered with
  ``on_application_patch`` may refuse a PATCH (the Exchange model's rules);
- ``POST /$batch`` (JSON batching: up to 20 requests, each answered with its own status).
"""
from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass, field
from typing import Callable

from cryptography import x509

from certops_lab.products.entra import GLOBAL_ADMINISTRATOR

_ROUTES: list = []
_APPLICATION_PATCH_HOOKS: list = []
READ_DOMAINS = ("Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
LIST_FEDERATION = ("Domain.Read.All", "Domain.ReadWrite.All")
READ_FEDERATION = ("Domain-InternalFederation.Read.All", "Domain-InternalFederation.ReadWrite.All", "Domain.Read.All", "Domain.ReadWrite.All")
WRITE_FEDERATION = ("Domain-InternalFederation.ReadWrite.All", "Domain.ReadWrite.All")
READ_ROLES = ("RoleManagement.Read.Directory", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All")
READ_APPLICATIONS = ("Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All")
WRITE_APPLICATIONS = ("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")
FEDERATION_PROPERTIES = ("activeSignInUri", "displayName", "federatedIdpMfaBehavior", "isSignedAuthenticationRequestRequired", "issuerUri",
                         "metadataExchangeUri", "nextSigningCertificate", "passiveSignInUri", "preferredAuthenticationProtocol",
                         "promptLoginBehavior", "signingCertificate", "signOutUri", "passwordResetUri")
BATCH_LIMIT = 20


class GraphApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "innerError": {"request-id": str(uuid.uuid4())}}}


@dataclass
class ApiRequest:
    method: str
    path: str                       # after /v1.0, without the query
    query: dict = field(default_factory=dict)
    body: object = None
    roles: tuple = ()


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    roles: tuple
    handler: Callable
    mutating: bool


def graph_route(method: str, pattern: str, roles: tuple) -> Callable:
    """Register ``fn(tenant, request, **groups) -> (status, body)`` for ``method`` and the path ``pattern``."""
    def register(function: Callable) -> Callable:
        _ROUTES.append(Route(method.upper(), re.compile(f"^{pattern}$", re.IGNORECASE), tuple(roles), function, method.upper() != "GET"))
        return function
    return register


def on_application_patch(function: Callable) -> Callable:
    """Register ``fn(tenant, application, body)``; it raises GraphApiError to refuse the PATCH."""
    _APPLICATION_PATCH_HOOKS.append(function)
    return function


def find_route(method: str, path: str):
    """(route, groups), or GraphApiError: 404 for an unknown resource, 405 for a known one with another method."""
    matches = [(route, route.pattern.match(path)) for route in _ROUTES]
    matches = [(route, match) for route, match in matches if match]
    for route, match in matches:
        if route.method == method:
            return route, match.groupdict()
    if matches:
        raise GraphApiError(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed for this resource.")
    raise GraphApiError(400, "BadRequest", f"Resource not found for the segment '{path.strip('/').split('/')[0]}'.")


def dispatch(tenant, request: ApiRequest) -> tuple:
    """(status, body, mutating route) of one Graph request; errors become their Graph error body."""
    try:
        route, groups = find_route(request.method, request.path)
        if not set(route.roles) & set(request.roles):
            raise GraphApiError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        status, body = route.handler(tenant, request, **groups)
        return status, body, route.mutating
    except GraphApiError as error:
        return error.status, error.body(), False


# --- domains and their federation -------------------------------------------------------------------
def _domain(tenant, domain_id: str):
    domain = tenant.domain(domain_id)
    if domain is None:
        raise GraphApiError(404, "Request_ResourceNotFound", f"Resource '{domain_id}' does not exist or one of its queried reference-property "
                                                             "objects are not present.")
    return domain


def _federation(tenant, domain_id: str, federation_id: str):
    federation = _domain(tenant, domain_id).federation
    if federation is None or federation.id != federation_id:
        raise GraphApiError(404, "Request_ResourceNotFound", f"Resource '{federation_id}' does not exist or one of its queried "
                                                             "reference-property objects are not present.")
    return federation


@graph_route("GET", r"/domains", READ_DOMAINS)
def list_domains(tenant, request):
    del request
    return 200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains", "value": [d.to_graph() for d in tenant.domains.values()]}


@graph_route("GET", r"/domains/(?P<domain_id>[^/]+)", READ_DOMAINS)
def get_domain(tenant, request, domain_id):
    del request
    return 200, _domain(tenant, domain_id).to_graph()


@graph_route("GET", r"/domains/(?P<domain_id>[^/]+)/federationConfiguration", LIST_FEDERATION)
def list_federation(tenant, request, domain_id):
    del request
    federation = _domain(tenant, domain_id).federation
    return 200, {"value": [federation.to_graph()] if federation else []}


@graph_route("GET", r"/domains/(?P<domain_id>[^/]+)/federationConfiguration/(?P<federation_id>[^/]+)", READ_FEDERATION)
def get_federation(tenant, request, domain_id, federation_id):
    del request
    return 200, _federation(tenant, domain_id, federation_id).to_graph()


def certificate_value(name: str, value, nullable: bool):
    """A signing certificate property: base64 DER an X509Certificate2 can load (or null for the next one)."""
    if value is None and nullable:
        return None
    try:
        x509.load_der_x509_certificate(base64.b64decode(str(value), validate=True))
    except (ValueError, binascii.Error, TypeError):
        raise GraphApiError(400, "Request_BadRequest", f"Invalid value specified for property '{name}' of resource "
                                                       "'InternalDomainFederation'.") from None
    return str(value)


@graph_route("PATCH", r"/domains/(?P<domain_id>[^/]+)/federationConfiguration/(?P<federation_id>[^/]+)", WRITE_FEDERATION)
def patch_federation(tenant, request, domain_id, federation_id):
    federation, body = _federation(tenant, domain_id, federation_id), request.body
    if not isinstance(body, dict):
        raise GraphApiError(400, "BadRequest", "Empty Payload. JSON content expected.")
    unknown = sorted(set(body) - set(FEDERATION_PROPERTIES) - {"@odata.type"})
    if unknown:
        raise GraphApiError(400, "Request_BadRequest", f"Property '{unknown[0]}' is read-only or does not exist on 'InternalDomainFederation'.")
    signing = certificate_value("signingCertificate", body["signingCertificate"], False) if "signingCertificate" in body else None
    upcoming = certificate_value("nextSigningCertificate", body["nextSigningCertificate"], True) if "nextSigningCertificate" in body else None
    if "signingCertificate" in body:
        federation.signing_certificate = signing
    if "nextSigningCertificate" in body:
        federation.next_signing_certificate = upcoming
    federation.display_name = str(body.get("displayName", federation.display_name))
    return 200, federation.to_graph()


# --- directory roles ----------------------------------------------------------------------------------
@graph_route("GET", r"/directoryRoles\(roleTemplateId='(?P<template>[0-9a-fA-F-]+)'\)/members", READ_ROLES)
def role_members(tenant, request, template):
    del request
    users = tenant.global_admins() if template.lower() == GLOBAL_ADMINISTRATOR else []
    return 200, {"value": [{"@odata.type": "#microsoft.graph.user", "id": str(uuid.uuid5(uuid.NAMESPACE_URL, user["upn"])),
                            "userPrincipalName": user["upn"], "onPremisesSyncEnabled": True if user.get("synced") else None}
                           for user in users]}


# --- applications (store only) ----------------------------------------------------------------------
def _application(tenant, object_id: str = "", app_id: str = "") -> dict:
    for application in tenant.applications.values():
        if application["id"] == object_id or (app_id and application["appId"].lower() == app_id.lower()):
            return application
    raise GraphApiError(404, "Request_ResourceNotFound", f"Resource '{object_id or app_id}' does not exist or one of its queried "
                                                         "reference-property objects are not present.")


def application_view(application: dict, request) -> dict:
    """The application as GET returns it: keyCredentials' key only when $select names keyCredentials."""
    selected = [name.strip() for name in str(request.query.get("$select", "")).split(",") if name.strip()]
    credentials = [dict(item, key=item.get("key") if "keyCredentials" in selected else None) for item in application["keyCredentials"]]
    view = dict(application, keyCredentials=credentials)
    return {name: view.get(name) for name in ["id"] + selected} if selected else view


@graph_route("GET", r"/applications/(?P<object_id>[0-9a-fA-F-]+)", READ_APPLICATIONS)
def get_application(tenant, request, object_id):
    return 200, application_view(_application(tenant, object_id=object_id), request)


@graph_route("GET", r"/applications\(appId='(?P<app_id>[0-9a-fA-F-]+)'\)", READ_APPLICATIONS)
def get_application_by_app_id(tenant, request, app_id):
    return 200, application_view(_application(tenant, app_id=app_id), request)


KEY_CREDENTIAL_FIELDS = ("keyId", "customKeyIdentifier", "displayName", "type", "usage", "key", "startDateTime", "endDateTime")


def key_credential(item) -> dict:
    if not isinstance(item, dict) or not item.get("type") or not item.get("usage"):
        raise GraphApiError(400, "Request_BadRequest", "Invalid value specified for property 'keyCredentials' of resource 'Application'.")
    stored = {name: item.get(name) for name in KEY_CREDENTIAL_FIELDS}
    stored["keyId"] = stored["keyId"] or str(uuid.uuid4())
    return stored


@graph_route("PATCH", r"/applications/(?P<object_id>[0-9a-fA-F-]+)", WRITE_APPLICATIONS)
def patch_application(tenant, request, object_id):
    application = _application(tenant, object_id=object_id)
    body = request.body if isinstance(request.body, dict) else {}
    for hook in _APPLICATION_PATCH_HOOKS:
        hook(tenant, application, body)
    if "keyCredentials" in body:
        application["keyCredentials"] = [key_credential(item) for item in body["keyCredentials"] or []]
    if "displayName" in body:
        application["displayName"] = str(body["displayName"])
    return 204, None
