"""The API document the gateway serves is the one committed in docs/openapi.json, so every
change to the API is seen in review as a diff of that file."""

from gateway.openapi_diff import changes, committed, served


def test_served_document_is_the_committed_one():
    found = changes(committed(), served())
    assert not found, ("the API changed; if intended, run `make openapi` and commit "
                       "docs/openapi.json:\n" + "\n".join(found))


def test_changes_name_each_difference_by_its_json_pointer():
    before = {"paths": {"/a/{id}": {"get": {"summary": "old", "tags": ["x"]}}}}
    after = {"paths": {"/a/{id}": {"get": {"summary": "new", "tags": ["x"],
                                            "security": []}}, "/b": {}}}
    assert changes(before, after) == [
        "+ /paths/~1a~1{id}/get/security []",
        "~ /paths/~1a~1{id}/get/summary \"old\" -> \"new\"",
        "+ /paths/~1b {}",
    ]
