"""Every staff operation the matching service serves refuses a caller without its role (one
test per operation and role, generated from `api`'s declarations): before these, matching
checked no role at all and trusted the gateway alone."""

import pytest
from api.testing import assert_service_refuses, refusals
from matching.service import MatchingService


@pytest.mark.parametrize(("operation", "role"), refusals("matching"))
def test_a_caller_without_the_role_is_refused(operation, role):
    assert_service_refuses(MatchingService, operation, role)
