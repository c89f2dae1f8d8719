"""Every staff operation the programs service serves refuses a caller without its role (one
test per operation and role, generated from `api`'s declarations), case notes included."""

import pytest
from api.testing import assert_service_refuses, refusals
from programs.service import ProgramsService


@pytest.mark.parametrize(("operation", "role"), refusals("programs"))
def test_a_caller_without_the_role_is_refused(operation, role):
    assert_service_refuses(ProgramsService, operation, role)


def test_the_confidential_notes_are_refused_to_staff():
    # The rule the generated cases must include: office staff never read case notes.
    assert {(operation.id, role) for operation, role in
            (case.values for case in refusals("programs"))} >= {
        ("caseNotes", "staff"), ("addCaseNote", "staff")}
