"""The gateway's URL rules compile their builders lazily (web.MatchingRule): requests match as
before, and a URL built from a rule is what werkzeug's own rule builds. Gateways with the same
routes share one compiled map, and each finds its own entrypoints through it."""

from __future__ import annotations

import uuid

from gateway.service import GatewayService
from nameko.containers import ServiceContainer
from werkzeug.routing import IntegerConverter, Map, Rule

from gateway import web


def gateway_routes(container: ServiceContainer) -> list[web.GatewayHttpHandler]:
    return [entrypoint for entrypoint in container.entrypoints
            if isinstance(entrypoint, web.GatewayHttpHandler)]


def gateway_rules() -> list[Rule]:
    container = ServiceContainer(GatewayService, {"AMQP_URI": "memory://"})
    return [entrypoint.get_url_rule() for entrypoint in gateway_routes(container)]


def value_for(rule: Rule, name: str) -> object:
    """A value the argument's converter takes: a number for `<int:...>`, else an id."""
    return 2026 if isinstance(rule._converters[name], IntegerConverter) else uuid.uuid4()


def test_every_route_matches_and_builds_as_werkzeugs_own_rule_would():
    rules = gateway_rules()
    assert rules and all(isinstance(rule, web.MatchingRule) for rule in rules)
    lazy = Map([web.MatchingRule(r.rule, methods=r.methods, endpoint=i)
                for i, r in enumerate(rules)]).bind("jii.example")
    eager = Map([Rule(r.rule, methods=r.methods, endpoint=i)
                 for i, r in enumerate(rules)]).bind("jii.example")
    for rule in eager.map.iter_rules():  # bound: their arguments are known
        values = {name: value_for(rule, name) for name in rule.arguments}
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        built = eager.build(rule.endpoint, {**values, "lang": "ne"}, method=method)
        assert lazy.build(rule.endpoint, {**values, "lang": "ne"}, method=method) == built
        path = built.split("?")[0]
        assert lazy.match(path, method=method) == eager.match(path, method=method)


def test_gateways_with_the_same_routes_share_one_map_and_each_reaches_its_own_entrypoints():
    apps = []
    for _ in range(2):
        container = ServiceContainer(GatewayService, {"AMQP_URI": "memory://"})
        for entrypoint in gateway_routes(container):
            entrypoint.server.register_provider(entrypoint)
        apps.append((container, gateway_routes(container)[0].server.get_wsgi_app()))

    (first, first_app), (second, second_app) = apps
    assert first_app.url_map is second_app.url_map
    for container, app in apps:
        assert all(provider.container == container for provider in app.providers)
        assert len(app.providers) == len(gateway_routes(container))
        for path, method, name in [("/api/programs", "GET", "list_programs"),
                                   (f"/api/staff/pledges/{uuid.uuid4()}/cancel", "POST",
                                    "cancel_pledge"),
                                   ("/api/webhooks/stripe", "POST", "stripe_webhook")]:
            index, _ = app.url_map.bind("jii.example").match(path, method=method)
            assert app.providers[index].method_name == name
            assert app.providers[index].container == container
