"""Nameko's QueueConsumer settling a message on a connection the broker has dropped
(servicekit.settling): an outage is logged, any other error is raised as before."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import servicekit.settling  # noqa: F401 - the mend under test
from nameko.messaging import QueueConsumer


class Message:
    """A delivered message whose connection still looks open but fails when used."""

    def __init__(self, error: Exception):
        self.channel = SimpleNamespace(connection=object())
        self.error = error

    def ack(self) -> None:
        raise self.error

    def requeue(self) -> None:
        raise self.error


# Settling reads nothing of the consumer but the message.
CONSUMER = QueueConsumer.__new__(QueueConsumer)


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"),
                                   BrokenPipeError(32, "Broken pipe"),
                                   TimeoutError("timed out")])
def test_a_lost_connection_while_acknowledging_or_requeueing_is_logged_not_raised(error):
    CONSUMER.ack_message(Message(error))
    CONSUMER.requeue_message(Message(error))


def test_any_other_error_while_settling_is_raised_as_before():
    with pytest.raises(ValueError):
        CONSUMER.ack_message(Message(ValueError("a bug, not an outage")))
    with pytest.raises(KeyError):
        CONSUMER.requeue_message(Message(KeyError("delivery_tag")))
