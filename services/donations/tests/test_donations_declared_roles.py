"""Every staff operation the donations service serves refuses a caller without its role (one
test per operation and role, generated from `api`'s declarations)."""

import pytest
from api.registry import OPERATIONS
from api.testing import assert_service_refuses, refusals
from donations.service import DonationsService


@pytest.mark.parametrize(("operation", "role"), refusals("donations"))
def test_a_caller_without_the_role_is_refused(operation, role):
    assert_service_refuses(DonationsService, operation, role)


@pytest.mark.parametrize("operation", [operation for operation in OPERATIONS
                                       if operation.service == "donations"],
                         ids=lambda operation: operation.id)
def test_every_declared_operation_is_served_by_the_method_it_names(operation):
    method = getattr(DonationsService, operation.method_name)
    assert getattr(method, "operation", None) is operation
