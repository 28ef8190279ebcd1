"""The ``mutate_reply`` fault: a JSON Patch (RFC 6902) on the decrypted reply and an HTTP status,
from the control plane or the ``X-Mock-Fault`` header; bad rules refused with a 400 naming why."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.control import MockControlError
from mock_server.faults import FaultError, parse_header, rule_from_json
from mock_server.json_patch import PatchError, apply_patch, check_patch
from mock_server.testing import MockHandle

pytest_plugins = ["mock_server.testing"]

DOC = {
    "status": True,
    "message": "Invoice details",
    "response": {"id": 7, "amount": "5.000", "tags": ["a", "b"], "a/b": 1, "m~n": 2},
}


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (
            [{"op": "add", "path": "/response/new", "value": None}],
            ["id", "amount", "tags", "a/b", "m~n", "new"],
        ),
        ([{"op": "replace", "path": "/response/amount", "value": 5}], ["id", "amount", "tags", "a/b", "m~n"]),
        (
            [{"op": "remove", "path": "/response/a~1b"}, {"op": "remove", "path": "/response/m~0n"}],
            ["id", "amount", "tags"],
        ),
        (
            [{"op": "move", "from": "/response/id", "path": "/response/ident"}],
            ["amount", "tags", "a/b", "m~n", "ident"],
        ),
        (
            [{"op": "copy", "from": "/response/id", "path": "/response/ident"}],
            ["id", "amount", "tags", "a/b", "m~n", "ident"],
        ),
    ],
)
def test_patch_operations_keep_key_order(patch: list[dict[str, Any]], expected: list[str]) -> None:
    assert list(apply_patch(DOC, check_patch(patch))["response"]) == expected


def test_arrays_the_whole_document_and_tests() -> None:
    tags = apply_patch(
        DOC,
        [
            {"op": "add", "path": "/response/tags/-", "value": "c"},
            {"op": "add", "path": "/response/tags/0", "value": "z"},
            {"op": "remove", "path": "/response/tags/1"},
        ],
    )["response"]["tags"]
    assert tags == ["z", "b", "c"]
    assert apply_patch(DOC, [{"op": "replace", "path": "", "value": {"message": "x"}}]) == {"message": "x"}
    assert apply_patch(DOC, [{"op": "test", "path": "/status", "value": True}]) == DOC
    with pytest.raises(PatchError, match="test failed"):
        apply_patch(DOC, [{"op": "test", "path": "/status", "value": 1}])  # true is not 1 in JSON


@pytest.mark.parametrize(
    ("patch", "why"),
    [
        ([{"op": "remove", "path": "/response/nope"}], "no member 'nope'"),
        ([{"op": "replace", "path": "/response/tags/5", "value": 1}], "out of range"),
        ([{"op": "add", "path": "/response/tags/01", "value": 1}], "not an array index"),
        ([{"op": "add", "path": "/message/x", "value": 1}], "cannot add 'x' to a str"),
        ([{"op": "move", "from": "/response", "path": "/response/inner"}], "into itself"),
    ],
)
def test_a_patch_that_does_not_apply_changes_nothing(patch: list[dict[str, Any]], why: str) -> None:
    before = repr(DOC)
    with pytest.raises(PatchError, match=why):
        apply_patch(DOC, [{"op": "replace", "path": "/message", "value": "changed"}, *patch])
    assert repr(DOC) == before


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ({"kind": "mutate_reply"}, "needs a patch"),
        ({"kind": "mutate_reply", "patch": {"op": "remove"}}, "non-empty JSON array"),
        ({"kind": "mutate_reply", "patch": [{"op": "rename", "path": "/a"}]}, "op must be one of"),
        ({"kind": "mutate_reply", "patch": [{"op": "add", "path": "/a"}]}, "needs a value"),
        ({"kind": "mutate_reply", "patch": [{"op": "remove", "path": "a"}]}, "starts with '/'"),
        ({"kind": "mutate_reply", "patch": [{"op": "remove", "path": "/a", "value": 1}]}, "unknown member"),
        ({"kind": "mutate_reply", "patch": [{"op": "copy", "path": "/a"}]}, "must be a string"),
        ({"kind": "mutate_reply", "http_status": 99}, "http_status must be an integer from 200 to 599"),
        ({"kind": "mutate_reply", "http_status": 101}, "http_status must be an integer from 200 to 599"),
        ({"kind": "mutate_reply", "http_status": 204}, "an answer without a body"),
        ({"kind": "mutate_reply", "http_status": 304}, "an answer without a body"),
        ({"kind": "padding_16", "http_status": 200}, "belong to a mutate_reply rule"),
    ],
)
def test_bad_rules_are_refused(rule: dict[str, Any], why: str) -> None:
    with pytest.raises(FaultError, match=why):
        rule_from_json(rule)


@pytest.mark.parametrize("status", [100, 101, 199, 204, 304, 600])
def test_a_status_no_reply_body_can_go_with_is_refused_in_the_header_too(status: int) -> None:
    """h11 cannot send a body with 1xx, 204 or 304: the connection broke after the rule fired."""
    with pytest.raises(FaultError, match="http_status"):
        parse_header(f"mutate_reply; http_status={status}")


def test_copies_that_would_grow_a_reply_past_the_limit_do_not_apply() -> None:
    """Each copy of the whole document into itself doubles it: twenty-one of them (a rule of under
    1 KB) would make a reply of gigabytes. It stops at the limit, as a patch that does not fit."""
    from mock_server.json_patch import MAX_PATCHED_BYTES

    doubling = [{"op": "copy", "from": "", "path": f"/c{n}"} for n in range(21)]
    with pytest.raises(PatchError, match=f"past {MAX_PATCHED_BYTES} bytes"):
        apply_patch({"message": "x" * 1000}, check_patch(doubling))
    below = apply_patch({"message": "x" * 1000}, check_patch(doubling[:5]))  # under the limit: applied
    assert len(str(below)) > 32_000


def test_the_header_form() -> None:
    rule = parse_header('mutate_reply; http_status=418; patch=[{"op": "remove", "path": "/a;b=c"}]')
    assert rule.http_status == 418 and rule.patch == [{"op": "remove", "path": "/a;b=c"}]
    with pytest.raises(FaultError, match="must be a JSON array"):
        parse_header("mutate_reply; patch=[{")
    with pytest.raises(FaultError, match="after a ';'"):
        parse_header('mutate_reply patch=[{"op": "remove", "path": "/a"}]')


def test_mutate_reply_over_http(hesabe_mock: MockHandle) -> None:
    client = hesabe_mock.client()
    with pytest.raises(MockControlError) as refused:
        hesabe_mock.control.add_fault("mutate_reply", patch=[{"op": "nope", "path": "/"}])
    assert refused.value.status == 400 and "op must be one of" in str(refused.value)
    hesabe_mock.control.add_fault(
        "mutate_reply",
        "get_profile",
        http_status=202,
        patch=[
            {"op": "replace", "path": "/message", "value": "Profile"},
            {"op": "remove", "path": "/response/username"},
        ],
    )
    result = client.call("get_profile")
    assert result.status == 202 and result.envelope["message"] == "Profile"
    assert "username" not in result.envelope["response"] and result.shape == "response"
    hesabe_mock.control.clear_faults()
    hesabe_mock.control.add_fault(
        "mutate_reply", "get_profile", patch=[{"op": "remove", "path": "/response/nope"}]
    )
    untouched = client.call("get_profile")
    assert untouched.status == 200 and untouched.envelope["message"] == "Profile details"
    entry = hesabe_mock.control.journal(limit=1)[-1]
    assert entry["fault"].startswith("mutate_reply (not applied: patch[0] (remove /response/nope): no member")
    assert [r["fired"] for r in hesabe_mock.control.faults()] == [0]  # it changed nothing
