"""The public site's pages (files under `web/`) and what the pages need to know at run time."""

from __future__ import annotations

from typing import Any

from api.doc import ok, problem_response
from api.donations import PLEDGE_PAGE
from api.matching import PAIRING_RESPONSE_PAGE
from marshmallow import Schema, fields
from werkzeug.wrappers import Request, Response

from gateway import site
from gateway.web import DocumentQuery, http, json_response


class StripeSettings(Schema):
    publishable_key = fields.String(required=True, metadata={"example": "pk_test_123"})
    js_url = fields.String(required=True, metadata={
        "description": "Where the page loads Stripe.js from.",
        "example": "https://js.stripe.com/v3/"})


class SiteConfig(Schema):
    stripe = fields.Nested(StripeSettings, required=True)


class SiteRoutes:
    """Needs `config` on the service."""

    @http("GET", "/", query=DocumentQuery)
    def site_home(self, request: Request) -> Response:
        return site.page(request, self.config, "index.html")

    @http("GET", "/donate", query=DocumentQuery)
    def site_donate(self, request: Request) -> Response:
        return site.page(request, self.config, "donate.html")

    @http("GET", "/donate/thanks", query=DocumentQuery)
    def site_thanks(self, request: Request) -> Response:
        return site.page(request, self.config, "thanks.html")

    @http("GET", PLEDGE_PAGE, query=DocumentQuery)
    def site_pledge(self, request: Request) -> Response:
        # The link in supporters' e-mails: /pledge?token=…, made by the donations service
        return site.page(request, self.config, "pledge.html", holds_token=True)

    @http("GET", "/pledge/link", query=DocumentQuery)
    def site_pledge_link(self, request: Request) -> Response:
        return site.page(request, self.config, "pledge-link.html")

    @http("GET", PAIRING_RESPONSE_PAGE, query=DocumentQuery)
    def site_pairing_response(self, request: Request) -> Response:
        # The Family Friend offer links: /pairings/respond?token=…&answer=accept|decline
        return site.page(request, self.config, "respond.html", holds_token=True)

    @http("GET", "/apply", query=DocumentQuery)
    def site_apply(self, request: Request) -> Response:
        return site.page(request, self.config, "apply.html")

    @http("GET", "/assets/<path:name>", query=DocumentQuery)
    def site_asset(self, request: Request, name: str) -> Response:
        return site.asset(request, self.config, name)

    @http("GET", "/api/site-config")
    def site_config(self, request: Request) -> Response:
        stripe = {"publishable_key": str(self.config.get("STRIPE_PUBLISHABLE_KEY") or ""),
                  "js_url": site.stripe_js_url(self.config)}
        return json_response(SiteConfig().dump({"stripe": stripe}))


COMPONENTS: dict[str, Any] = {"SiteConfig": SiteConfig}

PAGES = {
    "/": ("sitePageHome", "The public site's home page"),
    "/donate": ("sitePageDonate", "The donation page: monthly or once, by card or bank "
                                  "transfer"),
    "/donate/thanks": ("sitePageThanks", "Thank-you page after a card gift"),
    PLEDGE_PAGE: ("sitePagePledge", "A supporter's pledge, by the signed link in their e-mails "
                                  "(?token=)"),
    "/pledge/link": ("sitePagePledgeLink", "Ask for a fresh link to manage a pledge, by e-mail"),
    PAIRING_RESPONSE_PAGE: ("sitePagePairingResponse", "Accept or decline a Family Friend offer, "
                                                     "by its signed link (?token=&answer=)"),
    "/apply": ("sitePageApply", "Applications: Family Friend, Spot Otonari-san, Hanamaru "
                                "Class, consultation"),
}
HTML_PAGE = {"description": "The page (static HTML; its script calls the API).",
             "content": {"text/html": {"schema": {"type": "string"}}}}


def _page_operation(operation_id: str, summary: str) -> dict[str, Any]:
    return {"operationId": operation_id, "tags": ["site"], "summary": summary,
            "description": site.HEADERS_NOTE, "responses": {"200": HTML_PAGE}}


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    **{(path, "get"): _page_operation(*about) for path, about in PAGES.items()},
    ("/assets/{name}", "get"): {
        "operationId": "siteAsset", "tags": ["site"],
        "summary": "A file of the public site (CSS, JavaScript, images)",
        "parameters": [{"in": "path", "name": "name", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The file, cached for an hour (ETag).",
                              "content": {"*/*": {"schema": {"type": "string"}}}},
                      "404": problem_response("No such file.", {
                          "type": "about:blank", "title": "Not Found", "status": 404,
                          "detail": "No such file."})},
    },
    ("/api/site-config", "get"): {
        "operationId": "siteConfig",
        "tags": ["site"],
        "summary": "What the public site's pages need at run time: Stripe's publishable key "
                   "and where Stripe.js is",
        "responses": {"200": ok("The settings.", SiteConfig), "500": "InternalError"},
    },
}
