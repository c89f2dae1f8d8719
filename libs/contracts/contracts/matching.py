"""Events published by the matching service.

Every pairing event carries both sides as people (name, e-mail, locale) so notifications can
write to each in their language without asking matching anything.
"""

from marshmallow import Schema, fields, validate

ROLES = ("resident", "partner", "volunteer")
PARTICIPANT_STATUSES = ("applied", "approved", "rejected", "withdrawn")
PAIRING_STATES = ("proposed", "superseded", "offered", "declined", "expired", "cancelled",
                  "active", "inactive", "completed", "closed_early")
SPOT_STATUSES = ("open", "assigned", "completed", "cancelled")
AREA_KINDS = ("ward", "city", "town", "village", "nearby")

# The closed vocabularies profiles are written in (matching packs each into a bit mask).
# ISO 639-1 codes of the languages JII's residents and partners speak (largest resident groups
# in Tokyo first). At most 64: a participant's languages at each level fit one uint64.
LANGUAGES: tuple[str, ...] = (
    "ja", "en", "zh", "ko", "vi", "ne", "tl", "pt", "es", "id", "th", "my", "si", "bn", "hi",
    "ur", "mn", "fr", "de", "ru", "uk", "ar", "fa", "tr", "ms", "km", "lo", "it", "ta", "pa",
    "uz", "ps", "am", "sw", "pl", "nl", "sv", "he", "te", "ml", "kk", "ky", "tg", "ka", "hy",
    "ro", "cs", "el", "hu", "fi", "da", "no", "yo", "ha", "ig", "so", "dz", "ceb",
)
# Weakest first; a language is "workable" for a pairing from conversational up.
LEVELS: tuple[str, ...] = ("basic", "conversational", "fluent", "native")
INTERESTS: tuple[str, ...] = (
    "cooking", "parks", "shopping", "festivals", "sports", "music", "crafts", "reading",
    "hiking", "games", "travel", "languages", "gardening", "art", "tea-ceremony", "anime",
    "photography", "cycling", "museums", "cafes", "movies", "dance", "volunteering", "religion",
    "technology", "fashion", "fishing", "camping", "onsen", "baking", "swimming", "calligraphy",
)
# A week in 21 slots: seven days × morning, afternoon, evening ("sat-morning").
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS: tuple[str, ...] = ("morning", "afternoon", "evening")
SLOTS: tuple[str, ...] = tuple(f"{day}-{part}" for day in DAYS for part in PARTS)
GENDERS: tuple[str, ...] = ("female", "male", "nonbinary")
CLOSE_REASONS = ("moved", "lack_of_contact", "needs_changed", "safeguarding", "other")
SPOT_KINDS = ("city_hall", "nursery_enrolment", "hospital", "school", "language_support",
              "other")
# Why staff turn an applicant away (applied → rejected), and why someone leaves at any stage
# before the end (→ withdrawn). "other" needs a note; notes stay in matching, never in events.
REJECT_REASONS = ("not_eligible", "duplicate", "unreachable", "safeguarding", "other")
WITHDRAW_REASONS = ("moved", "no_longer_needed", "own_request", "unreachable", "safeguarding",
                    "other")


class Person(Schema):
    participant_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    locale = fields.String(required=True, validate=validate.Length(min=2, max=35))


class Requester(Schema):
    """A resident asking for spot help (not necessarily a Family Friend participant)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    locale = fields.String(required=True, validate=validate.Length(min=2, max=35))


class Invitee(Person):
    """One side of an offer, with the signed links only they receive."""

    accept_url = fields.Url(required=True, require_tld=False)
    decline_url = fields.Url(required=True, require_tld=False)


class ParticipantApplied(Person):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area = fields.String(required=True)
    applied_at = fields.AwareDateTime(required=True)


class ParticipantApproved(Person):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    cleared = fields.Boolean(required=True)
    approved_at = fields.AwareDateTime(required=True)


class ParticipantRejected(Person):
    """Screening turned the applicant away. The staff note is not carried: free text may hold
    details no other service needs."""

    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    reason = fields.String(required=True, validate=validate.OneOf(REJECT_REASONS))
    rejected_at = fields.AwareDateTime(required=True)


class CancelledOffer(Schema):
    """An offer a withdrawal cancelled, with the person on the other side of it."""

    pairing_id = fields.UUID(required=True)
    other = fields.Nested(Person, required=True)


class ParticipantWithdrawn(Person):
    """The participant left before the end (moved away, asked to, ...). Their proposals and
    open offers were cancelled in the same transaction; a running pairing is closed early
    first, so none is among them.

    `cancelled_offers` names the other side of each offer among them (a proposal was never
    shown to anyone), so they can be told it will not go ahead. Added to v1 later: optional,
    absent from older events."""

    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    reason = fields.String(required=True, validate=validate.OneOf(WITHDRAW_REASONS))
    previous_status = fields.String(required=True,
                                    validate=validate.OneOf(["applied", "approved"]))
    cancelled_pairings = fields.List(fields.UUID(), required=True)
    cancelled_offers = fields.List(fields.Nested(CancelledOffer))
    withdrawn_at = fields.AwareDateTime(required=True)


class PairingProposed(Schema):
    pairing_id = fields.UUID(required=True)
    run_id = fields.UUID(required=True)
    resident_id = fields.UUID(required=True)
    partner_id = fields.UUID(required=True)
    score = fields.Float(required=True, validate=validate.Range(0, 1))


class PairingEvent(Schema):
    pairing_id = fields.UUID(required=True)
    resident = fields.Nested(Person, required=True)
    partner = fields.Nested(Person, required=True)


class PairingOffered(Schema):
    pairing_id = fields.UUID(required=True)
    resident = fields.Nested(Invitee, required=True)
    partner = fields.Nested(Invitee, required=True)
    expires_at = fields.AwareDateTime(required=True)


class PairingDeclined(PairingEvent):
    declined_by = fields.String(required=True, validate=validate.OneOf(["resident", "partner"]))


class PairingOfferExpired(PairingEvent):
    expired_at = fields.AwareDateTime(required=True)


# What a participant may let the other side of their pairing see. Matching holds no phone
# number yet; "phone" is named so that consent to it can travel once one is held.
CONTACT_FIELDS = ("name", "email", "phone")


class SharedContact(Schema):
    """Per side, the contact details they agreed (when accepting) to share with the other."""

    resident = fields.List(fields.String(validate=validate.OneOf(CONTACT_FIELDS)),
                           required=True)
    partner = fields.List(fields.String(validate=validate.OneOf(CONTACT_FIELDS)),
                          required=True)


class PairingStarted(PairingEvent):
    started_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    # Added to v1 later: optional, absent from older events (then nothing was shared).
    shared_contact = fields.Nested(SharedContact)


class PairingCheckinLogged(PairingEvent):
    checkin_id = fields.UUID(required=True)
    logged_at = fields.AwareDateTime(required=True)
    met_on = fields.Date(allow_none=True)


class PairingWentInactive(PairingEvent):
    last_contact_at = fields.AwareDateTime(required=True)


class PairingEndingSoon(PairingEvent):
    ends_at = fields.AwareDateTime(required=True)


class PairingCompleted(PairingEvent):
    started_at = fields.AwareDateTime(required=True)
    completed_at = fields.AwareDateTime(required=True)


class PairingClosedEarly(PairingEvent):
    reason = fields.String(required=True, validate=validate.OneOf(CLOSE_REASONS))
    closed_at = fields.AwareDateTime(required=True)


def _area_name() -> fields.Dict:
    # The area's display names ({"ja": "新宿区", "en": "Shinjuku"}), so a consumer writing to
    # a person needs no copy of matching's area table.
    return fields.Dict(keys=fields.String(), values=fields.String(), required=False)


class SpotRequestEvent(Schema):
    spot_request_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SPOT_KINDS))
    starts_at = fields.AwareDateTime(required=True)
    area = fields.String(required=True)
    area_name = _area_name()
    languages = fields.List(fields.String(), required=True)
    requester = fields.Nested(Requester, required=True)


class SpotRequestAssigned(SpotRequestEvent):
    volunteer = fields.Nested(Person, required=True)


class SpotRequestReminderDue(SpotRequestAssigned):
    """Sent once, the day before (Asia/Tokyo) an assigned spot request takes place."""


class SpotRequestCompleted(SpotRequestAssigned):
    hours = fields.Float(required=True, validate=validate.Range(min=0))


class SpotRequestCancelled(SpotRequestEvent):
    reason = fields.String(required=True)
    # The volunteer who had taken the request, to be told they need not go. Added to v1
    # later: optional, absent when the request was still open (and from older events).
    volunteer = fields.Nested(Person)


# Why staff take an assigned spot request from its volunteer and give it to another.
UNASSIGN_REASONS = ("volunteer_unavailable", "volunteer_unreachable", "requester_request",
                    "safeguarding", "other")


class SpotRequestUnassigned(Schema):
    """The volunteer is no longer expected at the request: staff gave it to another volunteer,
    announced by `spot_request_assigned` in the same transaction. Only what the former
    volunteer needs to recognise the request: neither the requester's contact details nor the
    new volunteer."""

    spot_request_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SPOT_KINDS))
    starts_at = fields.AwareDateTime(required=True)
    area = fields.String(required=True)
    area_name = _area_name()
    volunteer = fields.Nested(Person, required=True)
    reason = fields.String(required=True, validate=validate.OneOf(UNASSIGN_REASONS))
    unassigned_at = fields.AwareDateTime(required=True)


SCHEMAS = {
    ("participant_applied", 1): ParticipantApplied,
    ("participant_approved", 1): ParticipantApproved,
    ("participant_rejected", 1): ParticipantRejected,
    ("participant_withdrawn", 1): ParticipantWithdrawn,
    ("pairing_proposed", 1): PairingProposed,
    ("pairing_offered", 1): PairingOffered,
    ("pairing_declined", 1): PairingDeclined,
    ("pairing_offer_expired", 1): PairingOfferExpired,
    ("pairing_started", 1): PairingStarted,
    ("pairing_checkin_logged", 1): PairingCheckinLogged,
    ("pairing_went_inactive", 1): PairingWentInactive,
    ("pairing_ending_soon", 1): PairingEndingSoon,
    ("pairing_completed", 1): PairingCompleted,
    ("pairing_closed_early", 1): PairingClosedEarly,
    ("spot_request_created", 1): SpotRequestEvent,
    ("spot_request_assigned", 1): SpotRequestAssigned,
    ("spot_request_reminder_due", 1): SpotRequestReminderDue,
    ("spot_request_completed", 1): SpotRequestCompleted,
    ("spot_request_cancelled", 1): SpotRequestCancelled,
    ("spot_request_unassigned", 1): SpotRequestUnassigned,
}
