# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WS-Management envelopes: parse a WinRS request, build replies and SOAP faults.

Replies are rendered from string templates (cheap, and the exact shapes of winrm-wire.md §10);
every reply echoes the request's MessageID in ``a:RelatesTo`` because pywinrm asserts it.
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Optional
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
SHELL_URI = NS["rsp"]
CMD_RESOURCE_URI = SHELL_URI + "/cmd"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
ACTION_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
ACTION_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
ACTION_COMMAND = SHELL_URI + "/Command"
ACTION_SEND = SHELL_URI + "/Send"
ACTION_RECEIVE = SHELL_URI + "/Receive"
ACTION_SIGNAL = SHELL_URI + "/Signal"
STATE_DONE = SHELL_URI + "/CommandState/Done"
STATE_RUNNING = SHELL_URI + "/CommandState/Running"
FAULT_NS = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
CONTENT_TYPE = "application/soap+xml;charset=UTF-8"

# WSManFault codes (winerror.h): what Windows answers in the same situations.
CODE_OPERATION_TIMEOUT = 2150858793     # 0x80338029: the long-poll answer; pywinrm retries silently
CODE_SHELL_NOT_FOUND = 2150858843       # 0x8033805B: unknown ShellId
CODE_ACTION_NOT_SUPPORTED = 2150858783  # 0x8033801F
CODE_INTERNAL_ERROR = 2147500037        # 0x80004005 E_FAIL
CODE_UNENCRYPTED = 2150859116           # 0x8033816C: unencrypted traffic is disabled

_ENVELOPE_OPEN = ("<s:Envelope " + " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items()) + ">")


class SoapError(Exception):
    """A request the server answers with a SOAP fault (HTTP 500 unless ``status`` says otherwise)."""

    def __init__(self, reason: str, code: int = CODE_INTERNAL_ERROR, subcode: str = "w:InternalError", status: int = 500):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subcode = subcode
        self.status = status


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass
class WsmanRequest:
    """The parts of a request envelope the shell operations need."""
    action: str
    message_id: str
    shell_id: Optional[str]
    options: dict = field(default_factory=dict)
    operation_timeout: Optional[float] = None
    body: Optional[ET.Element] = None

    def body_child(self) -> Optional[ET.Element]:
        """The operation element inside s:Body (None for an empty body, e.g. Delete)."""
        return self.body[0] if self.body is not None and len(self.body) else None


def parse_duration(text: Optional[str]) -> Optional[float]:
    """``PT20S`` / ``PT20.000S`` -> 20.0; anything else -> None."""
    if text and text.startswith("PT") and text.endswith("S"):
        try:
            return float(text[2:-1])
        except ValueError:
            return None
    return None


def parse_request(data: bytes) -> WsmanRequest:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise SoapError(f"The request is not well-formed XML: {error}", subcode="w:SchemaValidationError", status=400) from None
    header = root.find(f"{{{NS['s']}}}Header")
    if header is None:
        raise SoapError("The request has no SOAP header", subcode="w:SchemaValidationError", status=400)
    return WsmanRequest(action=_text(header, "a", "Action"), message_id=_text(header, "a", "MessageID"),
                        shell_id=_selector(header, "ShellId"), options=_options(header),
                        operation_timeout=parse_duration(_text(header, "w", "OperationTimeout")),
                        body=root.find(f"{{{NS['s']}}}Body"))


def _text(parent: ET.Element, prefix: str, name: str) -> str:
    element = parent.find(f"{{{NS[prefix]}}}{name}")
    return (element.text or "").strip() if element is not None else ""


def _selector(header: ET.Element, name: str) -> Optional[str]:
    for element in header.iter(f"{{{NS['w']}}}Selector"):
        if element.get("Name") == name:
            return (element.text or "").strip()
    return None


def _options(header: ET.Element) -> dict:
    return {element.get("Name"): (element.text or "").strip() for element in header.iter(f"{{{NS['w']}}}Option")}


def envelope(action: str, relates_to: str, body: str) -> bytes:
    """A reply envelope: the ``Response`` action, a fresh MessageID and RelatesTo = the request's id."""
    header = (f"<s:Header><a:Action>{escape(action)}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
              f"<a:To>{ANONYMOUS}</a:To><a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header>")
    return f"{_ENVELOPE_OPEN}{header}<s:Body>{body}</s:Body></s:Envelope>".encode("utf-8")


def fault(error: SoapError, relates_to: str = "") -> bytes:
    """A SOAP 1.2 fault with the WSManFault detail pywinrm turns into WSManFaultError."""
    body = (f"<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>{escape(error.subcode)}</s:Value></s:Subcode>"
            f"</s:Code><s:Reason><s:Text xml:lang=\"en-US\">{escape(error.reason)}</s:Text></s:Reason><s:Detail>"
            f"<f:WSManFault xmlns:f=\"{FAULT_NS}\" Code=\"{error.code}\" Machine=\"127.0.0.1\"><f:Message>{escape(error.reason)}"
            "</f:Message></f:WSManFault></s:Detail></s:Fault>")
    return envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, body)


def operation_timeout() -> SoapError:
    return SoapError("The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
                     code=CODE_OPERATION_TIMEOUT, subcode="w:TimedOut")


def shell_not_found(shell_id: Optional[str]) -> SoapError:
    return SoapError(f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found "
                     "on the server.", code=CODE_SHELL_NOT_FOUND, subcode="w:InvalidSelectors")


def create_response(address: str, shell_id: str) -> str:
    return (f"<x:ResourceCreated><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
            f"<w:ResourceURI>{CMD_RESOURCE_URI}</w:ResourceURI><w:SelectorSet><w:Selector Name=\"ShellId\">{shell_id}"
            "</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>"
            f"<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId><rsp:InputStreams>stdin</rsp:InputStreams>"
            "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>")


def command_response(command_id: str) -> str:
    return f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"


def stream(name: str, command_id: str, data: str, end: bool = False) -> str:
    end_attribute = ' End="true"' if end else ""
    return f"<rsp:Stream Name=\"{name}\" CommandId={quoteattr(command_id)}{end_attribute}>{data}</rsp:Stream>"


def receive_response(command_id: str, streams: str, exit_code: Optional[int]) -> str:
    """``exit_code`` None means Running (more to come); a number means Done."""
    if exit_code is None:
        state = f"<rsp:CommandState CommandId={quoteattr(command_id)} State=\"{STATE_RUNNING}\"/>"
    else:
        state = (f"<rsp:CommandState CommandId={quoteattr(command_id)} State=\"{STATE_DONE}\">"
                 f"<rsp:ExitCode>{exit_code}</rsp:ExitCode></rsp:CommandState>")
    return f"<rsp:ReceiveResponse>{streams}{state}</rsp:ReceiveResponse>"
