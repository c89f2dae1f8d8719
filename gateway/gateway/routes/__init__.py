"""The gateway's routes by area.

Each module holds a mixin of `@http` entrypoints that `GatewayService` inherits, the OpenAPI
description of each of its operations (`OPERATIONS`) and its named schemas (`COMPONENTS`).
A new area adds a module here and its mixin to `GatewayService`.
"""

from gateway.routes import (
    console,
    dead_letters,
    donations,
    events,
    matching,
    notifications,
    programs,
    receipts,
    site,
    staff,
    staff_accounts,
)

AREAS = (donations, receipts, programs, matching, staff, staff_accounts, notifications,
         dead_letters, events, site, console)
