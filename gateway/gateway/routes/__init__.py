"""The gateway's routes by area.

Each module holds a mixin of `@http` entrypoints that `GatewayService` inherits, the OpenAPI
description of each of its operations (`OPERATIONS`) and its named schemas (`COMPONENTS`).
A new area adds a module here and its mixin to `GatewayService`.
"""

from gateway.routes import donations, events, matching, notifications, programs, site, staff

AREAS = (donations, programs, matching, staff, notifications, events, site)
