"""Every service's RPC methods share one consumer: Nameko's own `rpc` beside servicekit's puts
two consumers on the service's queue, and each answers the other's methods MethodNotFound."""

import inspect

import pytest
from nameko.rpc import Rpc
from servicekit.rpc import ResilientRpc


def _services():
    from donations.service import DonationsService
    from matching.service import MatchingService
    from notifications.service import NotificationsService
    from programs.service import ProgramsService

    return [DonationsService, MatchingService, NotificationsService, ProgramsService]


@pytest.mark.parametrize("service", _services(), ids=lambda cls: cls.name)
def test_every_rpc_method_of_a_service_uses_the_resilient_entrypoint(service):
    rpc_methods = {}
    for name, member in inspect.getmembers(service, inspect.isfunction):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, Rpc):
                rpc_methods[name] = type(entrypoint)
    assert rpc_methods, "a service without RPC methods: the check would prove nothing"
    strays = {name: kind.__module__ for name, kind in rpc_methods.items()
              if not issubclass(kind, ResilientRpc)}
    assert strays == {}
