"""Sign-in (OAuth 2 token endpoint), sign-out, and who am I."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request, Response, status

from app.api.auth import GrowthActor, SignedIn, bearer_token
from app.api.deps import API_PREFIX, SessionDep, SettingsDep
from app.api.negotiation import MARKDOWN, prefers
from app.api.problems import PROBLEM_JSON, problem, problem_responses
from app.api.render.record import record_markdown
from app.api.schemas.auth import MeRead, Relationships, RevokeResult, TokenResponse
from app.api.schemas.duties import OwnPasswordChange, SetPassword
from app.api.schemas.people import PersonRead
from app.api.schemas.record import MyRecord
from app.domain.errors import OAuthError
from app.domain.scopes import parse_scope_string
from app.services.identity import auth, credentials, me, rate_limits, record
from app.services.org.people import PersonView

router = APIRouter(prefix=API_PREFIX, tags=["identity"])

_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Refused (RFC 6749 section 5.2 `error`: invalid_request, "
                         "invalid_grant, invalid_scope, unsupported_grant_type)",
          "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/OAuthProblem"}}}},
    401: {"description": "Client authentication failed (`error`: invalid_client)",
          "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/OAuthProblem"}}},
          "headers": {"WWW-Authenticate": {"description": '`Basic realm="gps"` (RFC 6749 '
                                                          "section 5.2)",
                                           "schema": {"type": "string"}}}},
}

FormText = Annotated[str | None, Form(max_length=1024)]


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(detail="The Basic credentials are malformed.",
                         error="invalid_client") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(detail="The Basic credentials are malformed.", error="invalid_client")
    return unquote(client_id), unquote(secret)


@router.post(
    "/auth/token", operation_id="issue_token", response_model=TokenResponse,
    responses={**_OAUTH_ERRORS, **problem_responses(413, 422, 429)},
    openapi_extra={"requestBody": {"required": True}},
)
def issue_token(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep,
    grant_type: FormText = None, username: FormText = None, password: FormText = None,
    scope: FormText = None, client_id: FormText = None, client_secret: FormText = None,
) -> TokenResponse | Response:
    """Issue an access token (OAuth 2, `application/x-www-form-urlencoded`).

    * `grant_type=password` with `username` (e-mail address) and `password`: people.
    * `grant_type=client_credentials` with `client_id` and `client_secret` (form fields or
      HTTP Basic): service accounts.

    Errors follow RFC 6749 section 5.2 (`error`, `error_description`) inside problem details.
    Attempts are throttled with exponential back-off per account and address, per account
    and per address: past the allowance, 429 with `Retry-After` (no password is checked
    until then). An address the account has signed in from before is not held back by
    failures elsewhere.
    """
    response.headers["Pragma"] = "no-cache"
    requested = parse_scope_string(scope)
    address = request.client.host if request.client else None
    if grant_type == "password":
        if not settings.local_passwords:
            raise OAuthError(detail="Local passwords are switched off here: sign in with the "
                                    "department's identity provider and send its access token "
                                    "as a bearer token.", error="unsupported_grant_type")
        if not username or not password:
            raise OAuthError(detail="The password grant needs `username` and `password`.",
                             error="invalid_request")
        tried = rate_limits.attempt(kind="person", name=username, address=address)
        try:
            claimed = rate_limits.claim(session, settings, tried)
        except rate_limits.TooManyAttempts as exc:
            return _too_many(request, exc)
        grant = auth.password_grant(session, settings, email=username, password=password,
                                    requested=requested)
        rate_limits.succeeded(session, tried, claimed)
    elif grant_type == "client_credentials":
        basic = _basic_credentials(request)
        if basic is not None:
            client_id, client_secret = basic
        if not client_id or not client_secret:
            raise OAuthError(detail="The client_credentials grant needs `client_id` and "
                                    "`client_secret` (form fields or HTTP Basic).",
                             error="invalid_client")
        tried = rate_limits.attempt(kind="client", name=client_id, address=address)
        try:
            claimed = rate_limits.claim(session, settings, tried)
        except rate_limits.TooManyAttempts as exc:
            return _too_many(request, exc)
        grant = auth.client_credentials_grant(session, settings, client_id=client_id,
                                              client_secret=client_secret,
                                              requested=requested)
        rate_limits.succeeded(session, tried, claimed)
    elif not grant_type:
        raise OAuthError(detail="`grant_type` is missing: use `password` or "
                                "`client_credentials`.", error="invalid_request")
    else:
        raise OAuthError(detail=f"grant_type {grant_type[:40]!r} is not supported: use "
                                "`password` or `client_credentials`.",
                         error="unsupported_grant_type")
    return TokenResponse(access_token=grant.token.token, expires_in=grant.token.expires_in,
                         scope=" ".join(sorted(grant.scopes)))


def _too_many(request: Request, exc: rate_limits.TooManyAttempts) -> Response:
    return problem(request, 429, code="too-many-attempts", title="Too Many Requests",
                   detail=f"Too many sign-in attempts for this {exc.per}. Nothing was "
                          f"checked; try again in {exc.retry_after} seconds (each further "
                          "failure doubles the wait).",
                   headers={"Retry-After": str(exc.retry_after), "Cache-Control": "no-store",
                            "Pragma": "no-cache"})


@router.post("/auth/revoke", operation_id="revoke_token", response_model=RevokeResult,
             responses=problem_responses(401, 413, 422))
def revoke_token(request: Request, session: SessionDep, settings: SettingsDep,
                 actor: SignedIn, token: FormText = None) -> RevokeResult:
    """Sign out: revoke the token sent in the form's `token` field, or the one this call
    is made with. Revoked tokens stop working at once."""
    auth.revoke(session, settings, token or bearer_token(request) or "")
    return RevokeResult()


@router.post("/auth/set-password", operation_id="set_password",
             status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
             responses=problem_responses(400, 409, 413, 422))
def set_password(body: SetPassword, session: SessionDep, settings: SettingsDep) -> Response:
    """Choose your password with the one-time link an admin gave you (no sign-in needed).
    The link is then spent, and any token issued to you before stops working."""
    credentials.set_password_with_link(session, settings, token=body.token,
                                       password=body.password.get_secret_value())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/password", operation_id="change_own_password",
             status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
             responses=problem_responses(401, 403, 409, 413, 422, 429))
def change_own_password(body: OwnPasswordChange, request: Request, session: SessionDep,
                        settings: SettingsDep, actor: SignedIn) -> Response:
    """Change your own password, giving the current one. Every token you hold stops working,
    this one included: sign in again with the new password. Wrong current passwords are
    throttled like sign-in (429 with `Retry-After`)."""
    try:
        credentials.change_own_password(
            session, settings, actor, current_password=body.current_password.get_secret_value(),
            new_password=body.new_password.get_secret_value(),
            address=request.client.host if request.client else None)
    except rate_limits.TooManyAttempts as exc:
        return _too_many(request, exc)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", operation_id="get_me", response_model=MeRead,
            responses=problem_responses(401))
def get_me(session: SessionDep, actor: SignedIn) -> MeRead:
    """Who am I: identity, roles, scopes and relationships (reports, teams)."""
    found = me.who_am_i(session, actor)
    scopes = sorted(actor.scopes)
    if found.person is None:
        account = found.service_account
        return MeRead(kind="service_account", name=account.name if account else "",
                      person=None, client_id=actor.client_id, roles=[], scopes=scopes,
                      relationships=None)
    p = found.person
    return MeRead(
        kind="person", name=p.name, client_id=None, roles=sorted(actor.roles), scopes=scopes,
        person=PersonRead.of(PersonView(p, found.team_ids, True)),
        relationships=Relationships(line_manager_id=p.line_manager_id, buddy_id=p.buddy_id,
                                    report_ids=found.report_ids, team_ids=found.team_ids,
                                    led_team_ids=found.led_team_ids),
    )




@router.get(
    "/me/record", operation_id="get_my_record", response_model=MyRecord,
    responses={200: {"description": "Your record: JSON by default, Markdown with "
                                    "`Accept: text/markdown`",
                     "content": {MARKDOWN: {"schema": {"type": "string"}}},
                     "headers": {"Vary": {"description": "Accept",
                                          "schema": {"type": "string"}}}},
               **problem_responses(401, 403, 404)},
)
def get_my_record(request: Request, response: Response, session: SessionDep,
                  actor: GrowthActor) -> MyRecord | Response:
    """Everything GPS holds about you, and only you: what a UK GDPR subject access request
    returns. Your profile and history (bands, line managers, teams), absences, objectives
    with every check-in and who wrote it, evidence, one-to-ones (with their notes), target
    results, triggers (live and withdrawn), support and recognitions, coaching, concerns
    raised about you (not who raised them) and what became of them, your formal cases
    (status, outcome, consent, shared notes, the case managers to contact, and how many
    internal notes they keep) and who read or worked on them.

    There is no person parameter: nobody reads anyone else's record here. Send
    `Accept: text/markdown` for a document to read and keep; anything else answers JSON."""
    found = record.my_record(session, actor)
    if prefers(request.headers.get("accept"), MARKDOWN):
        return Response(content=record_markdown(found),
                        media_type=f"{MARKDOWN}; charset=utf-8", headers={"Vary": "Accept"})
    response.headers["Vary"] = "Accept"
    return MyRecord.of(found)
