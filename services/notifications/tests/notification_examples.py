"""A valid example event for every contract notifications consumes, checked against the contract.

The template tests build each message's context from these through `notifications.messages`,
exactly as the service does, so a template reading a variable no event provides fails here.
"""

from __future__ import annotations

from typing import Any

from contracts import validate_data
from servicekit.events import Envelope

HANAKO = {"name": "山田 花子", "email": "hanako@example.com", "locale": "ja"}
EMILY = {"name": "Emily Carter", "email": "emily@example.org", "locale": "en-GB"}
SITA = {"name": "सीता गुरुङ", "email": "sita@example.net", "locale": "ne-NP"}
SUPPORTER = {"supporter_id": "6f1c1d1e-0000-4000-8000-000000000001", **HANAKO}
PLEDGE = {**SUPPORTER, "pledge_id": "6f1c1d1e-0000-4000-8000-000000000003", "status": "active",
          "amount": 3000, "currency": "jpy", "occurred_at": "2026-04-10T01:00:00+00:00",
          "actor": "supporter", "manage_url": "https://j-ii.org/pledge?token=abc.def"}
RESIDENT = {"participant_id": "7a000000-0000-4000-8000-000000000001", **SITA}
PARTNER = {"participant_id": "7a000000-0000-4000-8000-000000000002", **HANAKO}
SIDES = {"pairing_id": "7b000000-0000-4000-8000-000000000001", "resident": RESIDENT,
         "partner": PARTNER}
CLASS = {"class_id": "7c000000-0000-4000-8000-000000000001", "title": "はなまる教室 新宿",
         "venue": "新宿区立中央図書館 3階", "schedule": "毎週土曜日 10:00–11:30"}
ENROLLMENT = {"enrollment_id": "7c000000-0000-4000-8000-000000000002", "class": CLASS,
              "child_first_name": "Aarav", "guardian": SITA,
              "withdraw_url": "https://www.j-ii.org/api/class-enrollments/withdraw/eyJlIjoi.sig",
              "occurred_at": "2026-04-02T03:00:00+00:00"}
CONSULTATION = {"consultation_id": "7d000000-0000-4000-8000-000000000001",
                "topic": "residence_visa", "language": "ne", "urgency": "urgent",
                "resident": SITA, "occurred_at": "2026-04-03T00:30:00+00:00"}
SPOT = {"spot_request_id": "7e000000-0000-4000-8000-000000000001", "kind": "nursery_enrolment",
        "starts_at": "2026-04-20T01:00:00+00:00", "area": "shinjuku",
        "area_name": {"ja": "新宿区", "en": "Shinjuku"}, "languages": ["ne", "ja"],
        "requester": SITA, "volunteer": {"participant_id": RESIDENT["participant_id"], **EMILY}}

EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("donations", "payment_succeeded"): {
        **SUPPORTER, "payment_id": "6f1c1d1e-0000-4000-8000-000000000002",
        "pledge_id": None, "source": "card_one_time", "first_of_pledge": False,
        "amount": 10000, "currency": "jpy", "receipt_number": "R2026-000124",
        "paid_at": "2026-03-31T16:30:00+00:00"},
    ("donations", "payment_failed"): {
        **SUPPORTER, "pledge_id": PLEDGE["pledge_id"], "donation_id": None, "source": "monthly",
        "amount": 3000, "currency": "jpy", "failure_reason": "expired_card",
        "failed_at": "2026-04-27T00:00:00+00:00",
        "update_card_url": "https://j-ii.org/pledge?token=abc.def"},
    # Consumed to keep the list of active partners; no e-mail of their own.
    ("donations", "pledge_started"): {
        **SUPPORTER, "pledge_id": PLEDGE["pledge_id"], "amount": 3000, "currency": "jpy",
        "started_at": "2026-03-01T00:00:00+00:00"},
    ("donations", "pledge_past_due"): {**PLEDGE, "status": "past_due",
                                       "failure_reason": "expired_card"},
    ("donations", "pledge_changed"): {**PLEDGE, "change": "amount", "previous_amount": 3000,
                                      "amount": 5000},
    ("donations", "pledge_paused"): {**PLEDGE, "status": "paused"},
    ("donations", "pledge_canceled"): {**PLEDGE, "status": "canceled",
                                       "reason": "moving abroad"},
    ("donations", "payment_refunded"): {
        **SUPPORTER, "payment_id": "6f1c1d1e-0000-4000-8000-000000000002",
        "refund_id": "6f1c1d1e-0000-4000-8000-000000000009", "source": "card_one_time",
        "receipt_number": "R2026-000124", "amount": 4000, "payment_amount": 10000,
        "refunded_total": 4000, "fully_refunded": False, "currency": "jpy",
        "refunded_at": "2026-04-05T02:00:00+00:00"},
    ("donations", "annual_receipts_ready"): {
        **SUPPORTER, "tax_year": 2026, "currency": "jpy", "total": 46000,
        "receipts": [
            {"receipt_number": "R2026-000124", "kind": "gift", "amount": 10000,
             "url": "https://www.j-ii.org/api/receipts/eyJnaWZ0Ijoi.sig"},
            {"receipt_number": "A2026-000007", "kind": "annual", "amount": 36000,
             "url": "https://www.j-ii.org/api/receipts/eyJhbm51YWwi.sig2"}],
        "address_missing": False},
    ("donations", "pledge_link_requested"): {
        **SUPPORTER, "pledge_id": "5b1c1d1e-0000-4000-8000-000000000001", "status": "past_due",
        "amount": 3000, "currency": "jpy", "manage_url": "https://j-ii.org/pledge?token=a.b",
        "requested_at": "2026-04-05T02:00:00+00:00"},
    ("donations", "bank_transfer_notified"): {
        **SUPPORTER, "notice_id": "7c1c1d1e-0000-4000-8000-000000000003", "amount": 50000,
        "currency": "jpy", "transferred_on": "2026-04-04", "payer_name": "ヤマダ ハナコ",
        "message": "Please send the receipt to my office.", "donor_kind": "company",
        "receipt_requested": True, "notified_at": "2026-04-05T02:00:00+00:00"},
    # A staff alert: no personal data, the receipt number finds the supporter.
    ("donations", "payment_disputed"): {
        "payment_id": "6f1c1d1e-0000-4000-8000-000000000002", "receipt_number": "R2026-000124",
        "source": "card_one_time", "amount": 10000, "currency": "jpy",
        "dispute_id": "du_1PqR2sT3uV4wX5yZ", "reason": "unrecognized",
        "disputed_at": "2026-04-20T05:12:00+00:00",
        "evidence_due_by": "2026-04-29T14:59:59+00:00"},
    ("matching", "participant_applied"): {
        **RESIDENT, "role": "resident", "area": "shinjuku",
        "applied_at": "2026-03-20T02:00:00+00:00"},
    ("matching", "participant_approved"): {
        **RESIDENT, "role": "resident", "cleared": False,
        "approved_at": "2026-03-25T02:00:00+00:00"},
    ("matching", "participant_rejected"): {
        **PARTNER, "role": "partner", "reason": "not_eligible",
        "rejected_at": "2026-03-25T02:00:00+00:00"},
    ("matching", "pairing_offered"): {
        "pairing_id": SIDES["pairing_id"],
        "resident": {**RESIDENT, "accept_url": "https://j-ii.org/pairing?t=res.accept",
                     "decline_url": "https://j-ii.org/pairing?t=res.decline"},
        "partner": {**PARTNER, "accept_url": "https://j-ii.org/pairing?t=par.accept",
                    "decline_url": "https://j-ii.org/pairing?t=par.decline"},
        "expires_at": "2026-04-04T14:59:00+00:00"},
    ("matching", "pairing_declined"): {**SIDES, "declined_by": "partner"},
    ("matching", "pairing_offer_expired"): {**SIDES, "expired_at": "2026-04-04T15:00:00+00:00"},
    # The partner left while offered to the resident (an older event lacks cancelled_offers).
    ("matching", "participant_withdrawn"): {
        **PARTNER, "role": "partner", "reason": "moved", "previous_status": "approved",
        "cancelled_pairings": [SIDES["pairing_id"]],
        "cancelled_offers": [{"pairing_id": SIDES["pairing_id"], "other": RESIDENT}],
        "withdrawn_at": "2026-04-03T00:00:00+00:00"},
    ("matching", "pairing_started"): {**SIDES, "started_at": "2026-04-05T00:00:00+00:00",
                                      "ends_at": "2026-10-05T00:00:00+00:00"},
    ("matching", "pairing_ending_soon"): {**SIDES, "ends_at": "2026-10-05T00:00:00+00:00"},
    ("matching", "pairing_completed"): {**SIDES, "started_at": "2026-04-05T00:00:00+00:00",
                                        "completed_at": "2026-10-05T00:00:00+00:00"},
    ("matching", "pairing_closed_early"): {**SIDES, "reason": "moved",
                                           "closed_at": "2026-06-01T00:00:00+00:00"},
    ("matching", "spot_request_assigned"): SPOT,
    ("matching", "spot_request_reminder_due"): SPOT,
    ("matching", "spot_request_created"): {
        key: value for key, value in SPOT.items() if key != "volunteer"},
    ("matching", "spot_request_cancelled"): {**SPOT, "reason": "resolved by the family"},
    ("matching", "spot_request_unassigned"): {
        **{key: SPOT[key] for key in ("spot_request_id", "kind", "starts_at", "area",
                                      "area_name",
                                      "volunteer")},
        "reason": "volunteer_unavailable", "unassigned_at": "2026-04-18T02:00:00+00:00"},
    ("programs", "class_enrollment_confirmed"): ENROLLMENT,
    ("programs", "class_enrollment_waitlisted"): {**ENROLLMENT, "position": 3},
    ("programs", "class_enrollment_promoted"): ENROLLMENT,
    ("programs", "class_enrollment_withdrawn"): {
        **{key: value for key, value in ENROLLMENT.items() if key != "withdraw_url"},
        "previous_status": "confirmed", "reason": "moved away", "withdrawn_by": "staff"},
    ("programs", "class_session_cancelled"): {
        "session_id": "7c000000-0000-4000-8000-000000000003", "class": CLASS,
        "session_number": 2, "starts_at": "2026-04-18T01:00:00+00:00", "reason": "weather",
        "families": [{"guardian": SITA, "children": ["Aarav", "Anisha"]},
                     {"guardian": EMILY, "children": ["Lily"]}],
        "cancelled_at": "2026-04-17T09:00:00+00:00"},
    ("programs", "consultation_opened"): CONSULTATION,
    ("programs", "consultation_resolved"): {
        **CONSULTATION, "outcome": "resolved", "opened_at": "2026-04-03T00:30:00+00:00"},
    ("programs", "consultation_assigned"): {
        **CONSULTATION, "urgency": "normal",
        "expert": {"expert_id": "7d000000-0000-4000-8000-000000000002",
                   "name": "田中 誠（行政書士）", "email": "tanaka@example.jp", "locale": "ja"}},
    ("programs", "impact_updated"): {
        "month": "2026-04", "residents_supported": 1234, "pairings_completed": 12,
        "spot_requests_done": 37, "children_enrolled": 58, "sessions_held": 16,
        "attendances": 410, "consultations_resolved": 21, "yen_raised": 1850000,
        "yen_raised_by_source": {"monthly": 1200000, "card_one_time": 650000},
        "year_to_date": {
            "residents_supported": 3105, "pairings_completed": 40, "spot_requests_done": 120,
            "children_enrolled": 150, "sessions_held": 60, "attendances": 1500,
            "consultations_resolved": 80, "yen_raised": 6400000,
            "yen_raised_by_source": {"monthly": 4800000, "card_one_time": 1600000}},
        "updated_at": "2026-05-01T00:00:00+00:00"},
    ("notifications", "dead_letters_growing"): {
        "queue": "donations.dlq", "depth": 7, "previous_depth": 3, "threshold": 1,
        "observed_at": "2026-04-21T23:45:00+00:00"},
}


def example(source: str, event_type: str, /, **changes: Any) -> dict[str, Any]:
    """The example data of an event, with `changes` (`...` removes a field), checked against its
    contract."""
    data = {**EXAMPLES[(source, event_type)], **changes}
    return validate_data(source, event_type, 1,
                         {key: value for key, value in data.items() if value is not ...})


def envelope(source: str, event_type: str, /, **changes: Any) -> Envelope:
    return Envelope.new(source, event_type, example(source, event_type, **changes),
                        correlation_id="test")
