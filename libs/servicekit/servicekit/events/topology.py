"""Names and declarations of the retry and dead-letter queues (DESIGN §4.4).

A failed delivery of queue Q is republished to `Q.retry.<n>`, a queue whose messages expire
after the n-th delay and are dead-lettered straight back to Q, so a retry needs no broker
plugin and one slow message never holds up the others. After the last retry the message is
parked in the service's dead-letter queue with its error.
"""

from __future__ import annotations

from kombu import Queue

ATTEMPT_HEADER = "x-jii-attempt"
QUEUE_HEADER = "x-jii-queue"
ERROR_HEADER = "x-jii-error"
FAILED_AT_HEADER = "x-jii-failed-at"


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.dlq"


def dead_letter_queue(service: str) -> Queue:
    return Queue(dead_letter_queue_name(service), durable=True, auto_delete=False)


def retry_queue(queue_name: str, step: int, delay_ms: int) -> Queue:
    return Queue(
        f"{queue_name}.retry.{step}",
        durable=True,
        auto_delete=False,
        queue_arguments={
            "x-message-ttl": delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        },
    )
