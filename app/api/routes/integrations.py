"""Routes: the Jira and GitHub webhook receivers, and the admin's view of deliveries."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from app.api.auth import IntegrationsActor, Paging
from app.api.deps import API_PREFIX, SessionDep, SessionFactory, SettingsDep
from app.api.problems import problem_responses
from app.api.schemas.common import Page
from app.api.schemas.integrations import DeliveryRead, DeliveryReceipt, ReplayResult
from app.api.webhooks import GitHubDelivery, JiraDelivery
from app.services.integrations import github, jira, replay, webhooks

router = APIRouter(prefix=f"{API_PREFIX}/integrations", tags=["integrations"])

WEBHOOK_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": True}}}}}
WEBHOOK_ERRORS = {**problem_responses(400, 401, 413, 422), 503: problem_responses(503)[503]}


@router.post("/jira/webhook", operation_id="receive_jira_webhook",
             response_model=DeliveryReceipt, responses=WEBHOOK_ERRORS, openapi_extra=WEBHOOK_BODY)
async def receive_jira_webhook(delivery: JiraDelivery, settings: SettingsDep,
                               sessions: SessionFactory) -> DeliveryReceipt:
    """Receive a Jira Cloud webhook delivery (signed with `X-Hub-Signature: sha256=…`).

    A repeat of a delivery (same `X-Atlassian-Webhook-Identifier`) answers 200 and changes
    nothing. Issues moved into the Done status category become `ticket_done` evidence for
    the assignee; moved out of Done (or deleted), that evidence is retracted. Deliveries apply
    in the order of the issue's events: one older than what was applied already (late, or
    re-sent under another identifier) is stored, answered 200 and marked `superseded`.
    """
    # The body is read on the event loop; the database work, which may wait for a lock held
    # by another replica, runs in the thread pool so this process keeps answering meanwhile.
    receipt = await run_in_threadpool(
        webhooks.receive, sessions, source=jira.SOURCE,
        delivery_id=delivery.delivery_id, event_type=jira.jira.event_type(delivery.payload),
        body=delivery.body, payload=delivery.payload, apply=jira.applier(settings))
    return DeliveryReceipt.model_validate(receipt, from_attributes=True)


@router.post("/github/webhook", operation_id="receive_github_webhook",
             response_model=DeliveryReceipt, responses=WEBHOOK_ERRORS, openapi_extra=WEBHOOK_BODY)
async def receive_github_webhook(delivery: GitHubDelivery, settings: SettingsDep,
                                 sessions: SessionFactory) -> DeliveryReceipt:
    """Receive a GitHub webhook delivery (signed with `X-Hub-Signature-256`; the SHA-1
    `X-Hub-Signature` alone is refused).

    `ping` answers 200. Pushes to a production branch count each commit once per author as
    `production_change` evidence (or, with `GPS_GITHUB_DEPLOY_SIGNAL=deployment_status`, once
    a successful production deployment names the push's head commit).
    """
    receipt = await run_in_threadpool(
        webhooks.receive, sessions, source=github.SOURCE,
        delivery_id=delivery.delivery_id,
        event_type=(delivery.headers.event_type or "unknown")[:100], body=delivery.body,
        payload=delivery.payload, apply=github.applier(settings))
    return DeliveryReceipt.model_validate(receipt, from_attributes=True)


@router.get("/deliveries", operation_id="list_deliveries", response_model=Page[DeliveryRead],
            responses=problem_responses(401, 403, 422))
def list_deliveries(session: SessionDep, actor: IntegrationsActor, paging: Paging,
                    source: Literal["jira", "github"] | None = None,
                    status: Literal["received", "applied", "ignored", "unmatched",
                                    "awaiting_deploy", "superseded", "failed"] | None = None,
                    ) -> Page[DeliveryRead]:
    """List stored webhook deliveries (admin), oldest first, by source and status."""
    page = webhooks.list_deliveries(session, actor, source=source, status=status,
                                    cursor=paging.cursor, limit=paging.limit)
    return Page(items=[DeliveryRead.model_validate(d) for d in page.items],
                next_cursor=page.next_cursor)


@router.post("/deliveries/replay", operation_id="replay_deliveries",
             response_model=ReplayResult, responses=problem_responses(401, 403, 422))
def replay_deliveries(session: SessionDep, settings: SettingsDep, actor: IntegrationsActor,
                      source: Literal["jira", "github"] | None = None) -> ReplayResult:
    """Apply unmatched and failed deliveries again (admin), e.g. after fixing people's Jira
    account ids or GitHub logins, and deliveries stranded for over a minute between being
    stored and being applied. What was applied before is not applied twice."""
    replayed, applied = replay.replay_waiting(session, actor, settings, source=source)
    return ReplayResult(replayed=replayed, applied=applied)
