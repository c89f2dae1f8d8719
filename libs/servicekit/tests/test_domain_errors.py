"""Domain code raises `servicekit.domain` errors; every RPC entrypoint answers them as the
`servicekit.errors` class of the same kind, with the same message and details, so a caller
(the gateway, which maps those classes to statuses) sees exactly what a hand mapping gave."""

from __future__ import annotations

import inspect

import pytest
from nameko.exceptions import IncorrectSignature
from nameko.standalone.rpc import ClusterRpcProxy
from servicekit import domain, errors
from servicekit.rpc import rpc


class StateRefused(domain.Conflict):
    """A module's own refusal, as donations' `pledges.TransitionRefused` is."""


RAISED = {
    "not_found": domain.NotFound("no such thing"),
    "conflict": domain.Conflict("the thing is closed", {"status": "closed"}),
    "invalid": domain.Invalid("the day has passed", {"day": ["Must be in the future."]}),
    "refused": StateRefused("the thing cannot go there"),
}


class RefusingService:
    name = "kit_refusing"

    @rpc
    def refuse(self, kind: str, note: str = "") -> None:
        raise RAISED[kind]

    @rpc(expected_exceptions=(errors.Conflict,))
    def refuse_expectedly(self, kind: str) -> None:
        raise RAISED[kind]


@pytest.mark.parametrize(("kind", "answered", "message", "details"), [
    ("not_found", errors.NotFound, "no such thing", {}),
    ("conflict", errors.Conflict, "the thing is closed", {"status": "closed"}),
    ("invalid", errors.InvalidInput, "the day has passed", {"day": ["Must be in the future."]}),
    ("refused", errors.Conflict, "the thing cannot go there", {}),
])
def test_a_domain_error_reaches_an_rpc_caller_as_its_servicekit_error(
    container_factory, service_config, kind, answered, message, details
):
    config = service_config()
    container_factory(RefusingService, config).start()
    with ClusterRpcProxy(config, timeout=30) as proxy:
        with pytest.raises(answered) as caught:
            proxy.kit_refusing.refuse(kind)
        assert (caught.value.message, caught.value.details) == (message, details)
        with pytest.raises(answered):
            proxy.kit_refusing.refuse_expectedly(kind)


def test_the_entrypoint_keeps_the_methods_signature_for_nameko(container_factory,
                                                                service_config):
    assert list(inspect.signature(RefusingService.refuse).parameters) == ["self", "kind", "note"]
    config = service_config()
    container_factory(RefusingService, config).start()
    with ClusterRpcProxy(config, timeout=30) as proxy:
        with pytest.raises(IncorrectSignature):
            proxy.kit_refusing.refuse("conflict", "a note", "one too many")


def test_a_domain_error_of_no_known_kind_is_a_programming_error():
    with pytest.raises(TypeError, match="DomainError"):
        errors.from_domain(domain.DomainError("which status is this?"))
