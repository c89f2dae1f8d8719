"""The gateway's URL rules compile their builders lazily (web.MatchingRule): requests match as
before, and a URL built from a rule is what werkzeug's own rule builds."""

from __future__ import annotations

import uuid

from gateway.service import GatewayService
from nameko.containers import ServiceContainer
from werkzeug.routing import IntegerConverter, Map, Rule

from gateway import web


def gateway_rules() -> list[Rule]:
    container = ServiceContainer(GatewayService, {"AMQP_URI": "memory://"})
    return [entrypoint.get_url_rule() for entrypoint in container.entrypoints
            if isinstance(entrypoint, web.GatewayHttpHandler)]


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
