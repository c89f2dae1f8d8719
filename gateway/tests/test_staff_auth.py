"""Staff bearer tokens: who gets through, and with which answer the others are turned away."""

import time

import jwt
import pytest
from gateway.auth import Authorizer, issue_token, verify_token
from servicekit.errors import Forbidden, Unauthorized
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

SECRET = "a-test-secret-that-is-long-enough-0123456789"


class WorkerContext:
    def __init__(self):
        self.data = {}


def request_with(authorization=None):
    headers = {"Authorization": authorization} if authorization else {}
    return Request(EnvironBuilder(path="/api/staff/x", headers=headers).get_environ())


def require(authorization, *roles):
    ctx = WorkerContext()
    return Authorizer(SECRET, ctx).require(request_with(authorization), *roles), ctx


def test_a_valid_token_of_an_allowed_role_passes_and_travels_in_the_rpc_context():
    identity, ctx = require("Bearer " + issue_token(SECRET, "staff-1", "staff"), "staff", "admin")
    assert (identity.subject, identity.role) == ("staff-1", "staff")
    assert ctx.data == {"staff_subject": "staff-1", "staff_role": "staff"}


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "Bearer not-a-jwt"])
def test_a_missing_or_malformed_token_is_unauthorized(header):
    with pytest.raises(Unauthorized):
        require(header, "staff")


def test_an_expired_token_is_unauthorized():
    token = issue_token(SECRET, "staff-1", "staff", ttl_seconds=60, now=time.time() - 120)
    with pytest.raises(Unauthorized, match="expired"):
        require("Bearer " + token, "staff")


def test_a_token_signed_with_another_secret_or_altered_is_unauthorized():
    forged = issue_token("another-secret-that-is-long-enough-0123456789", "x", "admin")
    with pytest.raises(Unauthorized):
        require("Bearer " + forged, "admin")
    claims = jwt.decode(issue_token(SECRET, "x", "staff"), options={"verify_signature": False})
    header, _, signature = issue_token(SECRET, "x", "staff").split(".")
    body = jwt.api_jws.base64url_encode(
        jwt.utils.force_bytes(jwt.api_jwt.json.dumps({**claims, "role": "admin"}))).decode()
    with pytest.raises(Unauthorized):
        require(f"Bearer {header}.{body}.{signature}", "admin")


def test_a_valid_token_of_the_wrong_role_is_forbidden():
    with pytest.raises(Forbidden):
        require("Bearer " + issue_token(SECRET, "c-1", "consultant"), "admin", "staff")


def test_tokens_name_a_known_role():
    with pytest.raises(ValueError):
        issue_token(SECRET, "x", "volunteer")
    assert verify_token(SECRET, issue_token(SECRET, "a", "admin")).role == "admin"
