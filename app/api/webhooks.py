"""The webhook receivers' one door: every delivery, from any source, is read and its signature
checked by `signed_delivery` before anything in it is parsed, stored or applied.

A source says only which of its headers carry the signature and the delivery's id
(`jira_headers`, `github_headers`) and which secret signs it; the checking is the same for all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from pydantic import SecretStr

from app.api.deps import SettingsDep
from app.domain.errors import Unauthenticated
from app.services.integrations import webhooks
from app.settings import Settings

HeaderText = Annotated[str | None, Header(max_length=500)]


@dataclass(frozen=True)
class SentHeaders:
    """What a delivery's headers say, named the same for every source."""

    signature: str | None  # `sha256=<hex>`
    delivery_id: str | None
    event_type: str | None = None
    refusal: str | None = None  # why the signature sent is refused without checking it


@dataclass(frozen=True)
class SignedDelivery:
    """A delivery whose signature checks out: its raw body, its JSON and its headers."""

    body: bytes
    payload: Any
    headers: SentHeaders

    @property
    def delivery_id(self) -> str:
        """The sender's id for the delivery, or the body's hash when it gives none."""
        return self.headers.delivery_id or "sha256:" + hashlib.sha256(self.body).hexdigest()


def jira_headers(x_hub_signature: HeaderText = None,
                 x_atlassian_webhook_identifier: HeaderText = None) -> SentHeaders:
    return SentHeaders(signature=x_hub_signature, delivery_id=x_atlassian_webhook_identifier)


def github_headers(x_hub_signature_256: HeaderText = None, x_hub_signature: HeaderText = None,
                   x_github_event: HeaderText = None,
                   x_github_delivery: HeaderText = None) -> SentHeaders:
    sha1_only = x_hub_signature_256 is None and x_hub_signature is not None
    return SentHeaders(
        signature=x_hub_signature_256, delivery_id=x_github_delivery, event_type=x_github_event,
        refusal="Only X-Hub-Signature-256 is accepted; SHA-1 signatures are refused. Nothing "
                "was stored." if sha1_only else None)


def signed_delivery(headers: Callable[..., SentHeaders], *, source: str, signature_header: str,
                    secret: Callable[[Settings], SecretStr | None]
                    ) -> Callable[..., Awaitable[SignedDelivery]]:
    """The dependency that reads a source's delivery and refuses it (401, nothing stored)
    unless it is signed with the source's secret; a body that is not JSON is a 400."""

    # `headers` is a default, not an annotation, so that each source's dependency names its
    # own headers (and the contract documents them in the order they are declared).
    async def verified(request: Request, settings: SettingsDep,
                       sent: SentHeaders = Depends(headers)) -> SignedDelivery:
        body = await request.body()
        if sent.refusal is not None:
            raise Unauthenticated(detail=sent.refusal, error=None)
        key = secret(settings)
        webhooks.verify(key.get_secret_value() if key is not None else None, body,
                        sent.signature, source=source, header_name=signature_header)
        return SignedDelivery(body=body, payload=webhooks.parse_json(body), headers=sent)

    return verified


JiraDelivery = Annotated[SignedDelivery, Depends(signed_delivery(
    jira_headers, source="jira", signature_header="X-Hub-Signature",
    secret=lambda settings: settings.jira_webhook_secret))]
GitHubDelivery = Annotated[SignedDelivery, Depends(signed_delivery(
    github_headers, source="github", signature_header="X-Hub-Signature-256",
    secret=lambda settings: settings.github_webhook_secret))]
