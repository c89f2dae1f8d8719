"""Which messages an event causes, to whom, and with what template context.

Plain functions from an event's data (already checked against its contract) to `Outgoing`
messages: no I/O, so the template tests can build every context from example events exactly as
the service does. Template variables are named here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from notifications.deliveries import Outgoing


@dataclass(frozen=True)
class Audience:
    """Settings messages need beyond the event: where staff alerts go."""

    staff_email: str
    staff_locale: str = "ja"
    staff_name: str = "JII"


Data = Mapping[str, Any]


def _to(person: Data, kind: str, context: dict[str, Any], **headers: str) -> Outgoing:
    return Outgoing(kind=kind, to_addr=person["email"], to_name=person["name"],
                    locale=person["locale"], context={"name": person["name"], **context},
                    headers=headers)


def _staff(audience: Audience, kind: str, context: dict[str, Any]) -> Outgoing:
    return Outgoing(kind=kind, to_addr=audience.staff_email, to_name=audience.staff_name,
                    locale=audience.staff_locale, context=context)


# -- donations ------------------------------------------------------------------------------


def payment_succeeded(data: Data, audience: Audience) -> list[Outgoing]:
    kind = "pledge_welcome" if data["first_of_pledge"] else "donation_thanks"
    context = {"amount": data["amount"], "receipt_number": data["receipt_number"],
               "paid_at": data["paid_at"], "manage_url": data.get("manage_url")}
    if kind == "donation_thanks":
        context["source"] = data["source"]
        # Older events carry neither; a gift "where it is needed most" needs no mention.
        context["tier_impact"] = data.get("tier_impact")
        general = data.get("designation", "general") == "general"
        context["designation_name"] = None if general else data.get("designation_name")
        context["receipt_url"] = data.get("receipt_url")
    return [_to(data, kind, context)]


def annual_receipts_ready(data: Data, audience: Audience) -> list[Outgoing]:
    """The year-end e-mail: the tax year's receipts by signed link (or a request for the
    postal address a receipt needs)."""
    return [_to(data, "annual_receipts", {
        "tax_year": data["tax_year"], "total": data["total"],
        "receipts": [{"receipt_number": r["receipt_number"], "kind": r["kind"],
                      "amount": r["amount"], "url": r["url"]} for r in data["receipts"]],
        "address_missing": data["address_missing"],
    })]


def payment_failed(data: Data, audience: Audience) -> list[Outgoing]:
    return [_to(data, "payment_failed", {
        "amount": data["amount"], "source": data["source"], "failed_at": data["failed_at"],
        "update_card_url": data.get("update_card_url"),
    })]


def pledge_link_requested(data: Data, audience: Audience) -> list[Outgoing]:
    return [_to(data, "pledge_link", {"amount": data["amount"],
                                      "manage_url": data["manage_url"]})]


def bank_transfer_notified(data: Data, audience: Audience) -> list[Outgoing]:
    """Staff look for the money at the bank, then record it (which thanks the donor)."""
    return [_staff(audience, "staff_bank_transfer", {
        "name": data["name"], "email": data["email"], "locale": data["locale"],
        "amount": data["amount"], "transferred_on": data["transferred_on"],
        "payer_name": data.get("payer_name"), "message": data.get("message"),
        "donor_kind": data["donor_kind"], "receipt_requested": data["receipt_requested"],
    })]


def pledge_changed(data: Data, audience: Audience) -> list[Outgoing]:
    # "recovered" means a past-due pledge was paid again: the thank-you for that payment says
    # everything the supporter needs, a second e-mail would only be noise.
    if data["change"] == "recovered":
        return []
    return [_to(data, "pledge_changed", {
        "change": data["change"], "amount": data["amount"],
        "previous_amount": data["previous_amount"], "manage_url": data.get("manage_url"),
    })]


def pledge_paused(data: Data, audience: Audience) -> list[Outgoing]:
    return [_to(data, "pledge_paused", {
        "amount": data["amount"], "paused_at": data["occurred_at"],
        "manage_url": data.get("manage_url"),
    })]


def pledge_canceled(data: Data, audience: Audience) -> list[Outgoing]:
    return [_to(data, "pledge_canceled", {
        "amount": data["amount"], "canceled_at": data["occurred_at"],
        "by_supporter": data["actor"] == "supporter",
    })]


def payment_refunded(data: Data, audience: Audience) -> list[Outgoing]:
    return [_to(data, "refund_notice", {
        "amount": data["amount"], "payment_amount": data["payment_amount"],
        "receipt_number": data["receipt_number"], "refunded_at": data["refunded_at"],
        "fully_refunded": data["fully_refunded"],
    })]


def payment_disputed(data: Data, audience: Audience) -> list[Outgoing]:
    """Staff answer a dispute in Stripe; the supporter is not written to (the bank is involved,
    and the event carries no personal data)."""
    return [_staff(audience, "staff_dispute", {
        "receipt_number": data["receipt_number"], "amount": data["amount"],
        "source": data["source"], "reason": data["reason"], "dispute_id": data["dispute_id"],
        "disputed_at": data["disputed_at"], "evidence_due_by": data.get("evidence_due_by"),
    })]


# -- matching -------------------------------------------------------------------------------


def participant_applied(data: Data, audience: Audience) -> list[Outgoing]:
    """A receipt, so the applicant knows the application arrived and what happens next."""
    return [_to(data, "application_received", {"role": data["role"]})]


def participant_approved(data: Data, audience: Audience) -> list[Outgoing]:
    return [_to(data, "application_approved", {"role": data["role"]})]


def participant_rejected(data: Data, audience: Audience) -> list[Outgoing]:
    # The reason is screening's, for staff: the applicant is told kindly, never why in code.
    return [_to(data, "application_rejected", {"role": data["role"]})]


def _both_sides(data: Data, kind: str, context: dict[str, Any],
                per_side: Callable[[Data], dict[str, Any]] = lambda side: {}) -> list[Outgoing]:
    resident, partner = data["resident"], data["partner"]
    return [
        _to(resident, kind, {**context, "role": "resident", "other_name": partner["name"],
                             **per_side(resident)}),
        _to(partner, kind, {**context, "role": "partner", "other_name": resident["name"],
                            **per_side(partner)}),
    ]


def pairing_offered(data: Data, audience: Audience) -> list[Outgoing]:
    # Each side gets only their own signed links.
    return _both_sides(data, "pairing_offered", {"expires_at": data["expires_at"]},
                       lambda side: {"accept_url": side["accept_url"],
                                     "decline_url": side["decline_url"]})


# An offer that will not go ahead is one message whatever the cause (declined, expired, one
# side withdrawn), so it never tells anyone who declined, that someone left, or why. It names
# the other side only to say which introduction is meant: a partner may hold several offers.
NOT_GOING_AHEAD = "pairing_not_going_ahead"


def _not_going_ahead(person: Data, other: Data) -> Outgoing:
    return _to(person, NOT_GOING_AHEAD, {"other_name": other["name"]})


def pairing_declined(data: Data, audience: Audience) -> list[Outgoing]:
    # Only the side that did not decline is waiting (it may have accepted already); the
    # side that declined knows.
    declined_by = data["declined_by"]
    waiting = "partner" if declined_by == "resident" else "resident"
    return [_not_going_ahead(data[waiting], data[declined_by])]


def pairing_offer_expired(data: Data, audience: Audience) -> list[Outgoing]:
    # Either side may have been waiting on the other or may have forgotten: both are told.
    resident, partner = data["resident"], data["partner"]
    return [_not_going_ahead(resident, partner), _not_going_ahead(partner, resident)]


def participant_withdrawn(data: Data, audience: Audience) -> list[Outgoing]:
    # The other side of each offer the withdrawal cancelled; a proposal was never shown to
    # anyone. Events from before `cancelled_offers` existed name no one, so nothing is sent.
    return [_not_going_ahead(offer["other"], data)
            for offer in data.get("cancelled_offers", [])]


def pairing_started(data: Data, audience: Audience) -> list[Outgoing]:
    """Each side gets the other's e-mail address only if the other agreed to share it when
    accepting; otherwise the message says JII staff will introduce them. Events from before
    consent was asked carry none, so nothing is shared."""
    shared = data.get("shared_contact") or {"resident": [], "partner": []}

    def contact_of_other(side: Data) -> dict[str, Any]:
        is_resident = side["participant_id"] == data["resident"]["participant_id"]
        other = "partner" if is_resident else "resident"
        given = shared[other]
        return {"other_email": data[other]["email"] if "email" in given else None}

    return _both_sides(data, "pairing_started",
                       {"started_at": data["started_at"], "ends_at": data["ends_at"]},
                       contact_of_other)


def pairing_ending_soon(data: Data, audience: Audience) -> list[Outgoing]:
    return _both_sides(data, "pairing_ending_soon", {"ends_at": data["ends_at"]})


def pairing_completed(data: Data, audience: Audience) -> list[Outgoing]:
    return _both_sides(data, "pairing_completed",
                       {"started_at": data["started_at"], "completed_at": data["completed_at"]})


def pairing_closed_early(data: Data, audience: Audience) -> list[Outgoing]:
    """Staff get the alert with the reason; both sides are told the pairing has ended, never
    why (the reason may be about the other side, e.g. safeguarding)."""
    return [_staff(audience, "pairing_closed_early", {
        "pairing_id": data["pairing_id"], "resident_name": data["resident"]["name"],
        "partner_name": data["partner"]["name"], "reason": data["reason"],
        "closed_at": data["closed_at"],
    }), *_both_sides(data, "pairing_ended_early", {})]


def area_names(data: Data) -> dict[str, str]:
    """The area in each template language: its Japanese name, its English one, and for Nepali
    readers the English name with the Japanese one they will see on signs. An event from before
    `area_name` existed has only the code."""
    names = data.get("area_name") or {}
    ja, en = names.get("ja", data["area"]), names.get("en", data["area"])
    return {"ja": ja, "en": en, "ne": en if ja == en else f"{en} ({ja})"}


def _spot(resident_kind: str, volunteer_kind: str) -> Callable[[Data, Audience], list[Outgoing]]:
    def build(data: Data, audience: Audience) -> list[Outgoing]:
        common = {"spot_kind": data["kind"], "starts_at": data["starts_at"],
                  "area": area_names(data)}
        requester, volunteer = data["requester"], data["volunteer"]
        return [
            _to(requester, resident_kind, {**common, "volunteer_name": volunteer["name"]}),
            _to(volunteer, volunteer_kind, {
                **common, "requester_name": requester["name"],
                "languages": ", ".join(data["languages"])}),
        ]

    return build


spot_request_assigned = _spot("spot_assigned_resident", "spot_assigned_volunteer")
# The day before: the same facts again, to each side in their own language.
spot_request_reminder_due = _spot("spot_reminder_resident", "spot_reminder_volunteer")


def spot_request_unassigned(data: Data, audience: Audience) -> list[Outgoing]:
    """The former volunteer is no longer expected (the resident hears of the new one through
    `spot_request_assigned`). Why staff reassigned it is not said, unless the volunteer asked."""
    return [_to(data["volunteer"], "spot_unassigned_volunteer", {
        "spot_kind": data["kind"], "starts_at": data["starts_at"], "area": area_names(data),
        "thanked": data["reason"] == "volunteer_unavailable"})]


def spot_request_created(data: Data, audience: Audience) -> list[Outgoing]:
    """A receipt: the requester hears nothing else until a volunteer says yes."""
    return [_to(data["requester"], "spot_request_received", {
        "spot_kind": data["kind"], "starts_at": data["starts_at"], "area": area_names(data)})]


def spot_request_cancelled(data: Data, audience: Audience) -> list[Outgoing]:
    """The requester is told (staff may have cancelled it at their word, or not), and the
    volunteer who had taken it that they need not go; an open request had none (and older
    events name none). Staff's reason is free text and is not passed on."""
    common = {"spot_kind": data["kind"], "starts_at": data["starts_at"], "area": area_names(data)}
    told = [_to(data["requester"], "spot_cancelled_resident", common)]
    if "volunteer" in data:
        told.append(_to(data["volunteer"], "spot_cancelled_volunteer", common))
    return told


# -- programs -------------------------------------------------------------------------------


def _enrollment(kind: str, extra: Callable[[Data], dict[str, Any]] = lambda d: {}
                ) -> Callable[[Data, Audience], list[Outgoing]]:
    def build(data: Data, audience: Audience) -> list[Outgoing]:
        cls = data["class"]
        return [_to(data["guardian"], kind, {
            "child_first_name": data["child_first_name"], "class_title": cls["title"],
            "venue": cls["venue"], "schedule": cls["schedule"],
            # the guardian's own signed link to give the place up (absent from older events)
            "withdraw_url": data.get("withdraw_url"), **extra(data)})]

    return build


class_enrollment_confirmed = _enrollment("class_enrollment_confirmed")
class_enrollment_waitlisted = _enrollment("class_enrollment_waitlisted",
                                          lambda d: {"position": d["position"]})
class_enrollment_promoted = _enrollment("class_enrollment_promoted")


def class_enrollment_withdrawn(data: Data, audience: Audience) -> list[Outgoing]:
    """The guardian is told when staff took the child off; one who did it with their own link
    saw it done. Staff's reason is free text for the roster and is not passed on."""
    if data.get("withdrawn_by") == "guardian":
        return []
    cls = data["class"]
    return [_to(data["guardian"], "class_enrollment_withdrawn", {
        "child_first_name": data["child_first_name"], "class_title": cls["title"],
        "was_waiting": data["previous_status"] == "waitlisted"})]


def class_session_cancelled(data: Data, audience: Audience) -> list[Outgoing]:
    """Each family with a seat is told, once, in their own language, naming their children;
    the reason is a code each reads in their language (staff's note never leaves programs)."""
    cls = data["class"]
    return [_to(family["guardian"], "class_session_cancelled", {
        "class_title": cls["title"], "venue": cls["venue"],
        "session_number": data["session_number"], "starts_at": data["starts_at"],
        "reason": data["reason"], "children": list(family["children"])})
        for family in data["families"]]


def consultation_assigned(data: Data, audience: Audience) -> list[Outgoing]:
    """The resident learns who took the case, and the expert that it is theirs, with the
    resident's contact: the resident was told the expert will be in touch. What the resident
    wrote stays in the staff tools, never in an e-mail."""
    resident, expert = data["resident"], data["expert"]
    return [
        _to(resident, "consultation_assigned", {
            "topic": data["topic"], "expert_name": expert["name"]}),
        _to(expert, "consultation_assigned_expert", {
            "topic": data["topic"], "language": data["language"], "urgency": data["urgency"],
            "resident_name": resident["name"], "resident_email": resident["email"],
            "consultation_id": data["consultation_id"]}),
    ]


def consultation_opened(data: Data, audience: Audience) -> list[Outgoing]:
    """A receipt to the resident; for an urgent case, an alert to staff as well."""
    received = _to(data["resident"], "consultation_received", {
        "topic": data["topic"], "urgent": data["urgency"] == "urgent"})
    if data["urgency"] != "urgent":
        return [received]
    return [received, _staff(audience, "staff_urgent_consultation", {
        "consultation_id": data["consultation_id"], "topic": data["topic"],
        "language": data["language"], "opened_at": data["occurred_at"]})]


def consultation_resolved(data: Data, audience: Audience) -> list[Outgoing]:
    return [_to(data["resident"], "consultation_closed", {
        "topic": data["topic"], "outcome": data["outcome"]})]


IMPACT_FIGURES = ("residents_supported", "pairings_completed", "spot_requests_done",
                  "children_enrolled", "sessions_held", "consultations_resolved")


def impact_update(figures: Data, partner: Data, unsubscribe_url: str) -> Outgoing:
    """The monthly update for one partner (the recipients come from the partners table)."""
    return _to(partner, "impact_update", {
        "month": figures["month"], **{key: figures[key] for key in IMPACT_FIGURES},
        "yen_raised": figures["yen_raised"],
        # absent from figures told before programs sent the year so far
        "year": int(figures["month"][:4]), "year_to_date": figures.get("year_to_date"),
        "unsubscribe_url": unsubscribe_url,
    }, **{
        # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs here.
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    })


# -- notifications (its own alerts) ---------------------------------------------------------


def dead_letters_growing(data: Data, audience: Audience) -> list[Outgoing]:
    queue = data["queue"]
    return [_staff(audience, "staff_dlq_growing", {
        "queue": queue, "service": dead_letter_service(queue), "depth": data["depth"],
        "previous_depth": data["previous_depth"], "threshold": data["threshold"],
        "observed_at": data["observed_at"],
    })]


def dead_letter_service(queue: str) -> str:
    """The service `jii dlq` names for a queue: `donations.dlq` -> `donations`."""
    return queue.removesuffix(".dlq")


# (source, event type) -> builder; the service subscribes to exactly these.
BUILDERS: dict[tuple[str, str], Callable[[Data, Audience], list[Outgoing]]] = {
    ("donations", "payment_succeeded"): payment_succeeded,
    ("donations", "payment_failed"): payment_failed,
    ("donations", "pledge_changed"): pledge_changed,
    ("donations", "pledge_paused"): pledge_paused,
    ("donations", "pledge_canceled"): pledge_canceled,
    ("donations", "payment_refunded"): payment_refunded,
    ("donations", "annual_receipts_ready"): annual_receipts_ready,
    ("donations", "payment_disputed"): payment_disputed,
    ("donations", "pledge_link_requested"): pledge_link_requested,
    ("donations", "bank_transfer_notified"): bank_transfer_notified,
    ("matching", "participant_applied"): participant_applied,
    ("matching", "participant_approved"): participant_approved,
    ("matching", "participant_rejected"): participant_rejected,
    ("matching", "pairing_offered"): pairing_offered,
    ("matching", "pairing_declined"): pairing_declined,
    ("matching", "pairing_offer_expired"): pairing_offer_expired,
    ("matching", "participant_withdrawn"): participant_withdrawn,
    ("matching", "pairing_started"): pairing_started,
    ("matching", "pairing_ending_soon"): pairing_ending_soon,
    ("matching", "pairing_completed"): pairing_completed,
    ("matching", "pairing_closed_early"): pairing_closed_early,
    ("matching", "spot_request_assigned"): spot_request_assigned,
    ("matching", "spot_request_reminder_due"): spot_request_reminder_due,
    ("matching", "spot_request_unassigned"): spot_request_unassigned,
    ("matching", "spot_request_created"): spot_request_created,
    ("matching", "spot_request_cancelled"): spot_request_cancelled,
    ("programs", "class_enrollment_confirmed"): class_enrollment_confirmed,
    ("programs", "class_enrollment_waitlisted"): class_enrollment_waitlisted,
    ("programs", "class_enrollment_promoted"): class_enrollment_promoted,
    ("programs", "class_enrollment_withdrawn"): class_enrollment_withdrawn,
    ("programs", "class_session_cancelled"): class_session_cancelled,
    ("programs", "consultation_assigned"): consultation_assigned,
    ("programs", "consultation_opened"): consultation_opened,
    ("programs", "consultation_resolved"): consultation_resolved,
    ("notifications", "dead_letters_growing"): dead_letters_growing,
}
