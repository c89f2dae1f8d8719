"""The composition root refuses wiring a started process could not follow."""

import pytest
from servicekit import platform


def test_a_key_no_config_yml_reads_cannot_be_given_to_a_process():
    with pytest.raises(KeyError, match="does not read NO_SUCH_KEY"):
        platform.environment(platform.Inputs(), ["matching"],
                             overrides={"matching": {"NO_SUCH_KEY": 1}})


def test_one_variable_read_by_two_services_cannot_take_two_values():
    with pytest.raises(ValueError, match="EVENT_RETRY_DELAYS_MS"):
        platform.environment(platform.Inputs(), ["matching", "programs"], overrides={
            "matching": {"EVENT_RETRY_DELAYS_MS": [100]},
            "programs": {"EVENT_RETRY_DELAYS_MS": [200]}})


def test_services_start_in_the_roots_order_whatever_order_they_are_named_in():
    assert platform.in_start_order(["gateway", "donations", "notifications"]) == [
        "notifications", "donations", "gateway"]
    with pytest.raises(KeyError, match="no service 'payments'"):
        platform.in_start_order(["payments"])


def test_a_shared_setting_reaches_only_the_services_that_read_it():
    inputs = platform.Inputs(settings={"DB_POOL_SIZE": 4}, secrets={"PAIRING_LINK_SECRET": "x"})
    assert platform.derived("matching", inputs) == {"DB_POOL_SIZE": 4, "PAIRING_LINK_SECRET": "x"}
    assert platform.derived("gateway", inputs) == {}
    assert platform.environment(inputs, ["matching", "gateway"]) == {
        "MATCHING_DB_POOL_SIZE": "4", "PAIRING_LINK_SECRET": "x"}
