# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Microsoft Entra tenant model: domains, their federation configuration, app registrations.

What it reproduces (reference/products.md §2.3, §2.4; Microsoft Graph v1.0 reference):
- ``domain`` objects (``id``, ``authenticationType`` Federated or Managed, ``isVerified``,
  ``isDefault``) and, per federated domain, one ``internalDomainFederation`` with
  ``signingCertificate``, ``nextSigningCertificate`` (base64 DER) and the read-only
  ``signingCertificateUpdateStatus`` {``certificateUpdateResult``, ``lastRunDateTime``};
- Entra's own metadata polling ("Renew federation certificates for Microsoft 365 and Microsoft
  Entra ID"): from 35 days before the signing certificate expires, daily, it fetches the farm's
  federation metadata and takes its primary token-signing certificate as signingCertificate and
  the secondary as nextSigningCertificate; when the metadata cannot be reached it records
  ``couldNotAccessRemoteHost`` and changes nothing;
- a sign-in: AD FS signs a token with its primary token-signing key, Entra accepts it only when
  the signature verifies with signingCertificate or nextSigningCertificate (a real RSA check);
- app registrations for client credentials: certificates (keyCredentials, found by SHA-1 or
  SHA-256 thumbprint) and client secrets (kept as salted SHA-256 only, as a secret must never be
  readable back), and the application permissions (app roles) admin consent granted;
- ``application`` objects with ``keyCredentials``, stored as given (the Exchange hybrid
  application's semantics belong to the Exchange model);
- the Global Administrator role's members, to tell whether a cloud-only administrator exists.

Topology (the ``entra`` mapping under ``products:``)::

    products:
      entra:
        tenant_id: 7d5e4c4a-...                 # default: a fixed lab GUID
        initial_domain: lab.onmicrosoft.com      # managed; always present
        domains:
          - id: lab.test
            federated_by: fs                     # products.adfs farm; absent = managed domain
            holds: [primary]                     # what Entra holds at start: primary, secondary
        apps:
          - client_id: 11111111-...
            display_name: certops
            roles: [Domain.Read.All, Domain-InternalFederation.ReadWrite.All]
        users:
          - {upn: admin@lab.onmicrosoft.com, global_admin: true}
          - {upn: alice@lab.test, global_admin: true, synced: true}
        applications:
          - {id: <object id>, app_id: <client id>, display_name: ExchangeServerApp}
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets as secret_tokens
import uuid
from dataclasses import asdict, dataclass, field
from typing import Optional

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from certops_lab.certstore import as_key_pem
from certops_lab.clock import isoformat

DEFAULT_TENANT = "7d5e4c4a-0c7e-4f55-9b0b-3f1c1e1a2b3c"
POLL_EARLIEST_DAYS = 35
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"   # the role template id Graph documents
UNREACHABLE = "couldNotAccessRemoteHost"


def b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


def certificate_of(text: Optional[str]) -> Optional[x509.Certificate]:
    """The certificate in a base64-DER property, None when empty or not a certificate."""
    if not text:
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except ValueError:
        return None


def thumbprint_of_text(text: Optional[str]) -> str:
    return hashlib.sha1(base64.b64decode(text)).hexdigest().upper() if certificate_of(text) else ""  # nosec B324 - a thumbprint


@dataclass
class Federation:
    """One internalDomainFederation."""
    id: str
    issuer_uri: str
    host_name: str
    display_name: str = ""
    signing_certificate: Optional[str] = None
    next_signing_certificate: Optional[str] = None
    update_result: Optional[str] = None
    update_time: Optional[str] = None

    def to_graph(self) -> dict:
        return {"@odata.type": "#microsoft.graph.internalDomainFederation", "id": self.id, "displayName": self.display_name,
                "issuerUri": self.issuer_uri, "metadataExchangeUri": f"https://{self.host_name}/adfs/services/trust/mex",
                "passiveSignInUri": f"https://{self.host_name}/adfs/ls/",
                "activeSignInUri": f"https://{self.host_name}/adfs/services/trust/2005/usernamemixed",
                "signOutUri": f"https://{self.host_name}/adfs/ls/", "preferredAuthenticationProtocol": "wsFed",
                "promptLoginBehavior": "nativeSupport", "isSignedAuthenticationRequestRequired": False,
                "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp", "passwordResetUri": None,
                "signingCertificate": self.signing_certificate, "nextSigningCertificate": self.next_signing_certificate,
                "signingCertificateUpdateStatus": {"certificateUpdateResult": self.update_result, "lastRunDateTime": self.update_time}}

    def trusted(self) -> list:
        return [certificate for certificate in (certificate_of(self.signing_certificate), certificate_of(self.next_signing_certificate))
                if certificate is not None]


@dataclass
class Domain:
    id: str
    authentication_type: str = "Managed"
    is_verified: bool = True
    is_default: bool = False
    farm: str = ""                          # lab link: the products.adfs farm that federates it
    federation: Optional[Federation] = None

    def to_graph(self) -> dict:
        return {"id": self.id, "authenticationType": self.authentication_type, "isVerified": self.is_verified,
                "isDefault": self.is_default, "isInitial": self.id.endswith(".onmicrosoft.com"), "isRoot": True,
                "supportedServices": ["Email", "OfficeCommunicationsOnline"]}


@dataclass
class App:
    """An app registration that signs in with client credentials."""
    client_id: str
    display_name: str = "certops"
    roles: list = field(default_factory=list)
    certificates: list = field(default_factory=list)      # base64 DER of keyCredentials usage Verify
    secret_hashes: list = field(default_factory=list)     # [{"salt", "sha256"}]

    def add_secret(self, secret: str) -> None:
        salt = secret_tokens.token_hex(16)
        self.secret_hashes.append({"salt": salt, "sha256": hashlib.sha256((salt + secret).encode("utf-8")).hexdigest()})

    def secret_matches(self, secret: str) -> bool:
        return any(hmac.compare_digest(item["sha256"], hashlib.sha256((item["salt"] + secret).encode("utf-8")).hexdigest())
                   for item in self.secret_hashes)

    def certificate_by_thumbprint(self, sha1: bytes = b"", sha256: bytes = b"") -> Optional[x509.Certificate]:
        for text in self.certificates:
            der = base64.b64decode(text)
            if hashlib.sha1(der).digest() == sha1 or hashlib.sha256(der).digest() == sha256:  # nosec B324 - x5t is SHA-1 by RFC 7515
                return x509.load_der_x509_certificate(der)
        return None


@dataclass
class Tenant:
    tenant_id: str
    domains: dict = field(default_factory=dict)           # id (lower case) -> Domain
    apps: dict = field(default_factory=dict)              # client id -> App
    users: list = field(default_factory=list)             # [{"upn", "global_admin", "synced"}]
    applications: dict = field(default_factory=dict)      # object id -> application JSON (Graph shape)
    private_key: str = field(default_factory=lambda: as_key_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))

    def domain(self, domain_id: str) -> Optional[Domain]:
        return self.domains.get(str(domain_id).lower())

    def federated(self) -> list:
        return [domain for domain in self.domains.values() if domain.federation is not None]

    def global_admins(self) -> list:
        return [user for user in self.users if user.get("global_admin")]

    def token_key(self):
        return serialization.load_pem_private_key(self.private_key.encode("ascii"), password=None)

    def to_dict(self) -> dict:
        return {"tenant_id": self.tenant_id, "private_key": self.private_key, "users": list(self.users),
                "applications": dict(self.applications), "apps": {key: asdict(app) for key, app in self.apps.items()},
                "domains": {key: domain_dict(domain) for key, domain in self.domains.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Tenant":
        return cls(tenant_id=data["tenant_id"], private_key=data["private_key"], users=list(data.get("users", [])),
                   applications=dict(data.get("applications", {})), apps={key: App(**item) for key, item in data.get("apps", {}).items()},
                   domains={key: domain_from_dict(item) for key, item in data.get("domains", {}).items()})


def domain_dict(domain: Domain) -> dict:
    data = asdict(domain)
    data["federation"] = asdict(domain.federation) if domain.federation else None
    return data


def domain_from_dict(data: dict) -> Domain:
    federation = Federation(**data["federation"]) if data.get("federation") else None
    return Domain(**{key: value for key, value in data.items() if key != "federation"}, federation=federation)


def add_app_credential(tenant: Tenant, client_id: str, certificate: str = "", secret: str = "") -> dict:
    """Register a certificate (PEM or base64 DER; its public part only is kept) or a client secret (kept hashed) on an app."""
    app = tenant.apps.get(str(client_id).lower())
    if app is None:
        raise KeyError(f"no app registration {client_id!r}: use one of {', '.join(sorted(tenant.apps)) or 'none'}")
    if certificate:
        text = certificate.strip()
        loaded = x509.load_pem_x509_certificate(text.encode("ascii")) if text.startswith("-----") else x509.load_der_x509_certificate(base64.b64decode(text))
        app.certificates.append(b64(loaded.public_bytes(serialization.Encoding.DER)))
    if secret:
        app.add_secret(secret)
    return {"client_id": app.client_id, "certificates": len(app.certificates), "secrets": len(app.secret_hashes)}


# --- Entra's metadata polling ---------------------------------------------------------------------
def polls_at(federation: Federation, now: datetime.datetime) -> bool:
    """Entra polls from 35 days before the signing certificate expires (or when it holds none)."""
    current = certificate_of(federation.signing_certificate)
    return current is None or now >= current.not_valid_after_utc - datetime.timedelta(days=POLL_EARLIEST_DAYS)


def poll(federation: Federation, farm, now: datetime.datetime) -> str:
    """One daily poll of the farm's metadata; the result it records."""
    federation.update_time = isoformat(now)
    if not farm.metadata_reachable:
        federation.update_result = UNREACHABLE
        return UNREACHABLE
    primary, secondary = farm.primary_of("Token-Signing"), farm.newest_secondary("Token-Signing")
    wanted = (b64(primary.der), b64(secondary.der) if secondary else federation.next_signing_certificate)
    changed = wanted != (federation.signing_certificate, federation.next_signing_certificate)
    federation.signing_certificate, federation.next_signing_certificate = wanted
    federation.update_result = "success" if changed else "noNewCertificateFound"
    return federation.update_result


# --- sign-in --------------------------------------------------------------------------------------
def signin(domain: Domain, signer_key, signer_der: bytes) -> dict:
    """AD FS signs a token with its primary token-signing key; Entra validates it against what the domain holds."""
    thumbprint = hashlib.sha1(signer_der).hexdigest().upper()  # nosec B324 - a thumbprint
    claims = {"iss": domain.federation.issuer_uri, "aud": "urn:federation:MicrosoftOnline", "upn": f"probe@{domain.id}",
              "nonce": uuid.uuid4().hex}
    token = jwt.encode(claims, signer_key, algorithm="RS256", headers={"x5t": thumbprint})
    for certificate in domain.federation.trusted():
        try:
            jwt.decode(token, certificate.public_key(), algorithms=["RS256"], audience="urn:federation:MicrosoftOnline")
            return {"domain": domain.id, "accepted": True, "signed_with": thumbprint}
        except jwt.InvalidTokenError:
            continue
    return {"domain": domain.id, "accepted": False, "signed_with": thumbprint,
            "error": f"the token's signature (certificate {thumbprint}) verifies with neither signingCertificate nor "
                     f"nextSigningCertificate of {domain.id}: the sign-in fails"}
