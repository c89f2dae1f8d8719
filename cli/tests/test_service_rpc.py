"""The staff commands that call a service over RPC say plainly why a call could not be made."""

import pytest
from jii_cli.broker import service_rpc
from jii_cli.workspace import CliError
from servicekit.testing import free_port


def test_a_service_that_is_not_running_is_named(rabbit_config, monkeypatch):
    monkeypatch.setenv("AMQP_URI", rabbit_config["AMQP_URI"])
    with pytest.raises(CliError, match="the donations service is not running"):
        with service_rpc("donations", 5) as donations:
            donations.reconcile_stripe(0)


def test_a_broker_that_does_not_answer_is_named_without_its_password(monkeypatch):
    monkeypatch.setenv("AMQP_URI", f"amqp://guest:secret@127.0.0.1:{free_port()}/")
    with pytest.raises(CliError, match="cannot reach RabbitMQ") as refused:
        with service_rpc("donations", 5) as donations:
            donations.reconcile_stripe(0)
    assert "secret" not in str(refused.value)
