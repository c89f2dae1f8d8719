"""Every staff operation the notifications service serves refuses a caller without its role
(one test per operation and role, generated from `api`'s declarations)."""

import pytest
from api.testing import assert_service_refuses, refusals
from notifications.service import NotificationsService


@pytest.mark.parametrize(("operation", "role"), refusals("notifications"))
def test_a_caller_without_the_role_is_refused(operation, role):
    assert_service_refuses(NotificationsService, operation, role)
