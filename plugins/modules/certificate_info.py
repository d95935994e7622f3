#!/usr/bin/python
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certops.microsoft.certificate_info: read a certificate file or text and report its facts."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: certificate_info
short_description: Read a certificate, a chain or a PFX and report its facts and policy violations
version_added: 0.1.0
description:
  - Reads a certificate file (O(path)) or certificate text (O(content)) and returns the facts of the
    leaf certificate at the top level, plus every certificate of the file in RV(certificates) and
    the others in RV(chain).
  - Accepts PEM (one or many certificates, text around the armour is ignored, PKCS#7 PEM too), DER,
    base64 of DER, PKCS#7 (P7B) in PEM or DER, and PKCS#12 (PFX) with or without a password, with
    legacy (3DES/RC2) or modern (AES) encryption.
  - The leaf is the certificate that matches the private key of a PFX, else the first certificate
    that is not a CA, else the first one.
  - The thumbprint is the SHA-1 of the DER in upper-case hex, exactly as Windows shows it. All dates
    are UTC.
  - With O(policy) or O(purpose), also checks the leaf certificate against the collection's
    certificate policy and returns every violation in RV(violations).
  - Runs where the task runs, normally C(localhost); to read a certificate on a Windows host, fetch
    it first or use M(certops.microsoft.certificate_inventory).
author:
  - certops.microsoft maintainers (@certops)
requirements:
  - cryptography
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; check mode returns the same facts.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description:
      - Path of a certificate file (C(.pem), C(.crt), C(.cer), C(.der), C(.p7b), C(.pfx), C(.p12)) on
        the host the task runs on.
      - Exactly one of O(path) and O(content) is required.
    type: path
  content:
    description:
      - The certificate as PEM text, or as base64 of DER, PKCS#7 or PKCS#12, exactly as
        M(ansible.builtin.slurp) returns it in C(content).
      - Exactly one of O(path) and O(content) is required.
      - A PFX given here appears in the task's arguments; prefer O(path) for PFX files.
    type: str
  password:
    description:
      - Password of the PFX, or of the private key in a PEM bundle.
      - Never logged or returned.
    type: str
  policy:
    description:
      - Certificate policy to check the leaf certificate against. Keys not given keep their default.
      - V(min_rsa_key_size) (default V(2048)), V(min_ec_key_size) (default V(256)),
        V(allowed_key_types) (default V([RSA, EC, Ed25519, Ed448])),
        V(allowed_signature_hashes) (default V([sha256, sha384, sha512])),
        V(min_days_remaining) (default V(30)), V(require_private_key) (default V(false)),
        V(required_key_usages) (RFC 5280 names such as V(digitalSignature), default V([])),
        V(required_extended_key_usages) (names such as V(serverAuth) or OIDs, default V([])).
      - Giving O(policy) (even V({})) or O(purpose) adds RV(violations) to the result.
    type: dict
  purpose:
    description:
      - What the certificate is for; adds the key usages and extended key usages that role needs.
      - V(token_signing) (AD FS, Workflow Manager, Exchange Auth) needs the V(digitalSignature) key usage.
      - V(server_auth) needs the V(serverAuth) EKU (1.3.6.1.5.5.7.3.1) and the V(digitalSignature)
        or V(keyEncipherment) key usage.
      - V(client_auth) needs the V(clientAuth) EKU (1.3.6.1.5.5.7.3.2) and the V(digitalSignature)
        or V(keyAgreement) key usage.
    type: str
    choices: [client_auth, server_auth, token_signing]
notes:
  - Wrong PFX password, an empty, truncated or corrupt file, a private key or a certificate request
    instead of a certificate, a directory or an unreadable file each fail the task with one message
    naming the problem and the fix.
seealso:
  - plugin: certops.microsoft.cert_info
    plugin_type: filter
  - plugin: certops.microsoft.thumbprint
    plugin_type: filter
  - module: certops.microsoft.certificate_inventory
"""

EXAMPLES = r"""
---
- name: Read the AD FS token-signing certificate exported as a PFX
  certops.microsoft.certificate_info:
    path: /secure/adfs-token-signing.pfx
    password: "{{ vault_adfs_pfx_password }}"
    purpose: token_signing
    policy:
      require_private_key: true
  register: token_signing

- name: Stop when the certificate breaks policy
  ansible.builtin.assert:
    that: token_signing.violations | length == 0
    fail_msg: "{{ token_signing.violations | map(attribute='reason') | join('; ') }}"

- name: Read a certificate fetched from a Windows host with slurp
  ansible.builtin.slurp:
    src: C:\certs\exchange-auth.cer
  register: exchange_auth_file

- name: Report its thumbprint and days left
  certops.microsoft.certificate_info:
    content: "{{ exchange_auth_file.content }}"
  delegate_to: localhost
  register: exchange_auth
"""

RETURN = r"""
thumbprint:
  description: SHA-1 of the leaf certificate's DER in upper-case hex, as Windows shows it.
  returned: success
  type: str
  sample: 3F2A9C0B7E5D41A2B6C8D0E1F2A3B4C5D6E7F809
thumbprint_sha256:
  description: SHA-256 of the leaf certificate's DER in upper-case hex.
  returned: success
  type: str
  sample: 7C0042C87DB086B16AB627422F11DD4F1FF060F4FB88B03A627F389C3612E8D2
subject:
  description: Subject in RFC 4514 form; V(null) when the name is malformed (see RV(parse_warnings)).
  returned: success
  type: str
  sample: CN=ADFS Signing - sts.contoso.com
issuer:
  description: Issuer in RFC 4514 form; V(null) when the name is malformed.
  returned: success
  type: str
  sample: CN=Contoso Issuing CA,DC=contoso,DC=com
serial_number:
  description: Serial number as the upper-case hex of its DER integer, as Windows shows it.
  returned: success
  type: str
  sample: 00C3A1F0
not_before:
  description: Start of validity, ISO 8601 UTC.
  returned: success
  type: str
  sample: "2026-01-01T00:00:00Z"
not_after:
  description: End of validity, ISO 8601 UTC.
  returned: success
  type: str
  sample: "2027-01-01T00:00:00Z"
days_remaining:
  description: Whole days until RV(not_after), rounded down; negative once expired.
  returned: success
  type: int
  sample: 42
expired:
  description: Whether RV(not_after) has passed.
  returned: success
  type: bool
not_yet_valid:
  description: Whether RV(not_before) is still in the future.
  returned: success
  type: bool
dns_names:
  description: DNS names of the subject alternative name extension.
  returned: success
  type: list
  elements: str
  sample: [sts.contoso.com]
subject_alt_names:
  description:
    - Every subject alternative name as C(type) (V(dns), V(ip), V(email), V(uri), V(dirname),
      V(rid) or V(other)) and C(value); C(other) entries also carry C(oid) (a UPN is decoded to text).
  returned: success
  type: list
  elements: dict
  sample: [{type: dns, value: sts.contoso.com}]
key_type:
  description: Public key algorithm (V(RSA), V(EC), V(Ed25519), V(Ed448), V(DSA), ...).
  returned: success
  type: str
  sample: RSA
key_size:
  description: Public key size in bits (the curve size for EC).
  returned: success
  type: int
  sample: 2048
signature_hash:
  description: Hash of the signature (V(sha256), V(sha1), ...); V(null) for Ed25519/Ed448 signatures.
  returned: success
  type: str
  sample: sha256
key_usage:
  description: Key usages set, by RFC 5280 name.
  returned: success
  type: list
  elements: str
  sample: [digitalSignature, keyEncipherment]
extended_key_usages:
  description: Extended key usages, each with C(name) and C(oid) (the OID is the name when it has none).
  returned: success
  type: list
  elements: dict
  sample: [{name: serverAuth, oid: 1.3.6.1.5.5.7.3.1}]
is_ca:
  description: Whether the basic constraints mark the certificate as a CA.
  returned: success
  type: bool
self_signed:
  description: Whether issuer equals subject and the certificate's own key verifies its signature.
  returned: success
  type: bool
has_private_key:
  description: Whether the file holds a private key for this certificate.
  returned: success
  type: bool
private_key_matches:
  description: Whether that private key belongs to the certificate; V(null) without a key.
  returned: success
  type: bool
parse_warnings:
  description: Parts of the certificate that C(cryptography) cannot parse (left empty above), with the reason.
  returned: success
  type: list
  elements: str
  sample: []
load_warnings:
  description:
    - What was left out while reading, for example a private key in a PEM bundle that is encrypted
      (no O(password) given) or unreadable. Each one is also shown as a task warning.
  returned: success
  type: list
  elements: str
  sample: []
public_certificate:
  description:
    - The leaf certificate alone, as base64 of its DER encoding (no private key).
    - What a trust on another server needs, for example O(certops.microsoft.sp_trusted_security_token_issuer#module:certificate).
  returned: success
  type: str
  sample: MIIDazCCAlOgAwIBAgIU...
source_format:
  description: Container the data was in.
  returned: success
  type: str
  sample: pkcs12
certificates:
  description: The facts above for every certificate in the file, in file order (the leaf included).
  returned: success
  type: list
  elements: dict
chain:
  description: The facts of every certificate other than the leaf, in file order.
  returned: success
  type: list
  elements: dict
violations:
  description: Every policy violation of the leaf certificate, each with C(code) and C(reason).
  returned: when O(policy) or O(purpose) is given
  type: list
  elements: dict
  sample: [{code: too_little_validity, reason: "12 days of validity left, fewer than the required 30; renew it"}]
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import certificate_report
from ansible_collections.certops.microsoft.plugins.module_utils._cryptography import CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._policy import PURPOSES

ARGUMENT_SPEC = {
    "path": {"type": "path"},
    "content": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "policy": {"type": "dict"},
    "purpose": {"type": "str", "choices": sorted(PURPOSES)},
}


def main():
    """Spec, report, exit: every user mistake arrives as CertopsError and leaves as fail_json."""
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("path", "content")],
        required_one_of=[("path", "content")],
        supports_check_mode=True,
    )
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        report = certificate_report(module.params)
    except CertopsError as error:
        module.fail_json(msg=str(error))
    for warning in report["load_warnings"]:
        module.warn(warning)
    module.exit_json(changed=False, **report)


if __name__ == "__main__":
    main()
