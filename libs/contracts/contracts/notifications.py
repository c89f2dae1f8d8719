"""Events published by the notifications service.

Notifications watches the services' dead-letter queues: a parked message is an event some
service could not handle, so staff must hear when a queue grows. The alert is an event (seen
by `jii events tail` and the staff feed) that notifications then turns into staff e-mail.
"""

from marshmallow import Schema, fields, validate


class DeadLettersGrowing(Schema):
    queue = fields.String(required=True, validate=validate.Length(min=1, max=255))
    depth = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    previous_depth = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    threshold = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    observed_at = fields.AwareDateTime(required=True)


SCHEMAS = {
    ("dead_letters_growing", 1): DeadLettersGrowing,
}
