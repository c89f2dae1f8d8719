"""The guardian's signed link: it travels in the enrolment events for the e-mail, shows only the
class, the child's first name and the status, and withdraws that one child (once, however
often it is used), promoting the first child waiting exactly as a staff withdrawal does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from programs.links import EnrollmentLinks
from programs.service import ProgramsService
from programs_testkit import LINK_SECRET, SITE_URL, child, class_request
from servicekit import errors
from servicekit.testing import query

LINK_PREFIX = f"{SITE_URL}/api/class-enrollments/withdraw/"


def events(db: str, event_type: str) -> list[dict]:
    return [row["data"] for row in query(
        db, "SELECT envelope->'data' AS data FROM outbox WHERE routing_key = %s ORDER BY id",
        (event_type,))]


def state(db: str) -> dict:
    return query(db, """SELECT (SELECT array_agg(status ORDER BY arrival) FROM enrollments)
                                   AS statuses,
                               (SELECT count(*) FROM outbox
                                 WHERE routing_key <> 'impact_updated') AS events""")[0]


def token_of(url: str) -> str:
    assert url.startswith(LINK_PREFIX), url
    return url.removeprefix(LINK_PREFIX)


def test_enrolment_events_carry_the_guardians_withdrawal_link(call, db):
    cls = call("create_class", class_request(capacity=1), role="staff")
    seated = call("enroll_child", cls["id"], child(1))
    waiting = call("enroll_child", cls["id"], child(2))
    [confirmed] = events(db, "class_enrollment_confirmed")
    [waitlisted] = events(db, "class_enrollment_waitlisted")
    links = EnrollmentLinks(LINK_SECRET, SITE_URL)
    assert links.enrollment_of(token_of(confirmed["withdraw_url"])) == seated["id"]
    assert links.enrollment_of(token_of(waitlisted["withdraw_url"])) == waiting["id"]

    call("withdraw_enrollment", cls["id"], seated["id"], {"reason": "moved"}, role="staff")
    [promoted] = events(db, "class_enrollment_promoted")
    assert links.enrollment_of(token_of(promoted["withdraw_url"])) == waiting["id"]
    # A withdrawn child's event has no link to use any more; it says staff did it.
    assert "withdraw_url" not in events(db, "class_enrollment_withdrawn")[0]
    assert events(db, "class_enrollment_withdrawn")[0]["withdrawn_by"] == "staff"


def test_the_link_shows_the_class_the_childs_first_name_and_the_status_only(call, db):
    cls = call("create_class", class_request(capacity=1), role="staff")
    call("enroll_child", cls["id"], child(1))
    call("enroll_child", cls["id"], child(2))
    [waitlisted] = events(db, "class_enrollment_waitlisted")
    before = state(db)
    view = call("enrollment_by_link", token_of(waitlisted["withdraw_url"]))
    assert view == {"class_title": "Hanamaru Class Shinjuku", "child_first_name": "Child2",
                    "status": "waitlisted"}
    assert state(db) == before  # looking changes nothing


def test_the_link_withdraws_the_child_and_promotes_the_first_waiting_once(call, db):
    cls = call("create_class", class_request(capacity=1), role="staff")
    call("enroll_child", cls["id"], child(1))
    second = call("enroll_child", cls["id"], child(2))
    call("enroll_child", cls["id"], child(3))
    [confirmed] = events(db, "class_enrollment_confirmed")
    token = token_of(confirmed["withdraw_url"])

    first_answer = call("withdraw_by_link", token)
    assert first_answer == {"class_title": "Hanamaru Class Shinjuku",
                            "child_first_name": "Child1", "status": "withdrawn"}
    [withdrawn] = events(db, "class_enrollment_withdrawn")
    assert withdrawn["previous_status"] == "confirmed" and "guardian" in withdrawn["reason"]
    assert withdrawn["withdrawn_by"] == "guardian"
    [promoted] = events(db, "class_enrollment_promoted")
    assert promoted["enrollment_id"] == second["id"]
    assert state(db)["statuses"] == ["withdrawn", "confirmed", "waitlisted"]

    after_first = state(db)
    assert call("withdraw_by_link", token) == first_answer  # a second click: same answer
    assert call("enrollment_by_link", token) == first_answer
    assert state(db) == after_first  # and nothing more happened


def test_two_clicks_at_once_withdraw_once_and_promote_once(call, db):
    cls = call("create_class", class_request(capacity=1), role="staff")
    call("enroll_child", cls["id"], child(1))
    for n in (2, 3):
        call("enroll_child", cls["id"], child(n))
    token = token_of(events(db, "class_enrollment_confirmed")[0]["withdraw_url"])
    # Each click has a proxy of its own: a standalone proxy is not shared between threads.
    answers = list(eventlet.GreenPool(5).imap(
        lambda n: call("withdraw_by_link", token, subject=f"click-{n}"), range(5)))
    assert {a["status"] for a in answers} == {"withdrawn"}
    assert len(events(db, "class_enrollment_withdrawn")) == 1
    assert len(events(db, "class_enrollment_promoted")) == 1
    assert state(db)["statuses"] == ["withdrawn", "confirmed", "waitlisted"]


def forged_tokens(genuine: str, enrollment_id: str) -> list[str]:
    old = EnrollmentLinks(LINK_SECRET, SITE_URL,
                          now=lambda: datetime.now(UTC) - timedelta(days=366))
    other = EnrollmentLinks("another-secret-that-is-long-enough-0123456789", SITE_URL)
    return [genuine[:-2] + ("AA" if genuine[-2:] != "AA" else "BB"), other.token(enrollment_id),
            old.token(enrollment_id), "not-a-token", "", "." * 3, genuine + "x"]


@pytest.mark.parametrize("method", ["enrollment_by_link", "withdraw_by_link"])
def test_a_tampered_foreign_or_expired_link_is_a_bad_signature_and_changes_nothing(
    call, db, method
):
    cls = call("create_class", class_request(capacity=1), role="staff")
    seated = call("enroll_child", cls["id"], child(1))
    call("enroll_child", cls["id"], child(2))
    genuine = token_of(events(db, "class_enrollment_confirmed")[0]["withdraw_url"])
    before = state(db)
    for token in forged_tokens(genuine, seated["id"]):
        with pytest.raises(errors.BadSignature):
            call(method, token)
    with pytest.raises(errors.BadSignature, match="expired"):
        call(method, forged_tokens(genuine, seated["id"])[2])
    assert state(db) == before


def test_a_genuine_link_to_an_unknown_enrolment_is_not_found(call):
    token = EnrollmentLinks(LINK_SECRET, SITE_URL).token("3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f")
    with pytest.raises(errors.NotFound):
        call("withdraw_by_link", token)


def test_without_a_link_secret_events_carry_no_link_and_no_token_is_accepted(
    container_factory, programs_config, db
):
    from nameko.standalone.rpc import ServiceRpcProxy

    config = {k: v for k, v in programs_config.items() if k != "ENROLLMENT_LINK_SECRET"}
    container_factory(ProgramsService, config).start()
    with ServiceRpcProxy("programs", config,
                         context_data={"staff_role": "staff", "staff_subject": "t"}) as programs:
        cls = programs.create_class(class_request(capacity=1))
        seated = programs.enroll_child(cls["id"], child(1))
        assert "withdraw_url" not in events(db, "class_enrollment_confirmed")[0]
        token = EnrollmentLinks(LINK_SECRET, SITE_URL).token(seated["id"])
        with pytest.raises(errors.BadSignature):
            programs.withdraw_by_link(token)


@pytest.mark.parametrize("base_url", ["jii.example.org", "ftp://jii.example.org", "https://"])
def test_a_site_address_links_could_not_be_made_from_stops_the_service_at_start(base_url):
    with pytest.raises(ValueError, match="PUBLIC_SITE_URL"):
        EnrollmentLinks(LINK_SECRET, base_url)
