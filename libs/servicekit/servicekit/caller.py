"""Who is calling a service: the identity the gateway put in the RPC context after checking a
staff token (`staff_subject`, `staff_role`), so services can enforce roles themselves."""

from __future__ import annotations

from nameko.extensions import DependencyProvider


class Caller(DependencyProvider):
    """`{"subject": ..., "role": ...}`, both None for a public call."""

    def get_dependency(self, worker_ctx) -> dict[str, str | None]:
        return {"subject": worker_ctx.data.get("staff_subject"),
                "role": worker_ctx.data.get("staff_role")}
