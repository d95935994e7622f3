# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab tenant's OAuth 2.0 endpoints: OpenID discovery and the client credentials grant.

As the Microsoft identity platform documents them ("Microsoft identity platform and the OAuth 2.0
client credentials flow"; "Microsoft identity platform application authentication certificate
credentials"):
- ``GET /{tenant}/v2.0/.well-known/openid-configuration``;
- ``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``, ``scope`` =
  ``<graph endpoint>/.default`` and either ``client_secret`` or a ``client_assertion`` JWT. The
  assertion's header names the certificate by ``x5t`` (SHA-1) or ``x5t#S256``; its signature is
  verified (RS256 or PS256) with that certificate of the app registration, and ``aud`` must be the
  token endpoint, ``iss`` and ``sub`` the client id, and it must be current;
- the access token is a JWT signed by the tenant, audience the Graph endpoint, with the app's
  ``roles``: what Graph authorizes by. Times are real time: the client's clock, not the lab's.
Errors carry the AADSTS codes the platform documents for these cases.
"""
from __future__ import annotations

import base64
import datetime
import time
import uuid

import jwt
from cryptography import x509

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LIFETIME = 3599
LEEWAY = 300


class OAuthError(Exception):
    """A refused token request: HTTP status, OAuth error and the AADSTS description."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description, "error_codes": [int(self.description[6:].split(":")[0])],
                "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
                "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())}


def openid_configuration(base: str, tenant_id: str) -> dict:
    root = f"{base}/{tenant_id}"
    return {"token_endpoint": f"{root}/oauth2/v2.0/token", "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode", "issuer": f"{root}/v2.0",
            "jwks_uri": f"{root}/discovery/v2.0/keys", "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "response_types_supported": ["code"], "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"]}


def _app(tenant, client_id: str):
    app = tenant.apps.get(str(client_id or "").lower())
    if app is None:
        raise OAuthError(400, "unauthorized_client", f"AADSTS700016: Application with identifier '{client_id}' was not found in the "
                                                     f"directory '{tenant.tenant_id}'.")
    return app


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def assertion_certificate(app, header: dict) -> x509.Certificate:
    """The registered certificate the assertion header names (x5t#S256 or x5t)."""
    try:
        sha256, sha1 = _b64url(header.get("x5t#S256") or ""), _b64url(header.get("x5t") or "")
    except (ValueError, TypeError):
        sha256 = sha1 = b""
    certificate = app.certificate_by_thumbprint(sha1=sha1, sha256=sha256) if (sha1 or sha256) else None
    if certificate is None:
        raise OAuthError(401, "invalid_client", "AADSTS700027: The certificate with identifier used to sign the client assertion is not "
                                                f"registered on application. [Reason - The key was not found., Thumbprint of key used by "
                                                f"client: '{(sha1 or sha256).hex().upper()}'].")
    now = datetime.datetime.now(datetime.timezone.utc)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise OAuthError(401, "invalid_client", "AADSTS700027: Client assertion failed signature validation. [Reason - The key used is "
                                                "expired.]")
    return certificate


def verify_assertion(app, assertion: str, token_endpoint: str) -> None:
    """Signature, audience, issuer, subject and lifetime of a client assertion; OAuthError when any is wrong."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError:
        raise OAuthError(400, "invalid_request", "AADSTS50027: JWT token is invalid or malformed.") from None
    certificate = assertion_certificate(app, header)
    try:
        claims = jwt.decode(assertion, certificate.public_key(), algorithms=["RS256", "PS256"], audience=token_endpoint, leeway=LEEWAY,
                            options={"require": ["exp", "iss", "sub", "aud", "jti"]})
    except jwt.InvalidSignatureError:
        raise OAuthError(401, "invalid_client", "AADSTS700027: Client assertion failed signature validation.") from None
    except jwt.InvalidTokenError as error:
        raise OAuthError(401, "invalid_client", f"AADSTS700027: Client assertion contains an invalid claim: {error}.") from None
    if claims["iss"] != claims["sub"] or str(claims["iss"]).lower() != app.client_id:
        raise OAuthError(401, "invalid_client", "AADSTS700023: Client assertion audience claim does not match Realm issuer, or iss "
                                                "and sub do not name the client.")


def authenticate(app, form: dict, token_endpoint: str) -> None:
    if form.get("client_assertion"):
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise OAuthError(400, "invalid_request", "AADSTS50027: client_assertion_type must be " + ASSERTION_TYPE + ".")
        verify_assertion(app, form["client_assertion"], token_endpoint)
        return
    if not form.get("client_secret") or not app.secret_matches(form["client_secret"]):
        raise OAuthError(401, "invalid_client", f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
                                                f"request is the client secret value, not the client secret ID, for a secret added to app "
                                                f"'{app.client_id}'.")


def issue_token(tenant, form: dict, base: str) -> dict:
    """The token endpoint: an access token for the app, or OAuthError."""
    token_endpoint = f"{base}/{tenant.tenant_id}/oauth2/v2.0/token"
    if form.get("grant_type") != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
    app = _app(tenant, form.get("client_id"))
    if form.get("scope") != f"{base}/.default":
        raise OAuthError(400, "invalid_scope", f"AADSTS1002012: The provided value for scope {form.get('scope')} is not valid. Client "
                                               f"credential flows must have a scope value with /.default suffixed to the resource "
                                               f"identifier ({base}/.default).")
    authenticate(app, form, token_endpoint)
    now = int(time.time())
    claims = {"aud": base, "iss": f"https://sts.windows.net/{tenant.tenant_id}/", "tid": tenant.tenant_id, "appid": app.client_id,
              "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, app.client_id)), "idtyp": "app", "roles": list(app.roles), "iat": now, "nbf": now,
              "exp": now + LIFETIME}
    token = jwt.encode(claims, tenant.token_key(), algorithm="RS256", headers={"kid": "lab"})
    return {"token_type": "Bearer", "expires_in": LIFETIME, "ext_expires_in": LIFETIME, "access_token": token}


def verify_access_token(tenant, authorization: str, base: str) -> dict:
    """The claims of a Bearer access token this tenant issued for ``base``; ValueError naming the problem."""
    scheme, _space, token = str(authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ValueError("Access token is empty.")
    try:
        return jwt.decode(token, tenant.token_key().public_key(), algorithms=["RS256"], audience=base, leeway=LEEWAY)
    except jwt.ExpiredSignatureError:
        raise ValueError("Lifetime validation failed, the token is expired.") from None
    except jwt.InvalidTokenError as error:
        raise ValueError(f"Access token validation failure: {error}.") from None
