from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import jsonpath as jp
from connectors.errors import PayloadInvalid

BODY: dict[str, Any] = {
    "data": {
        "item": {
            "id": 12345,
            "name": "Élodie",
            "empty": "",
            "flag": True,
            "flag_text": "False",
            "count": 3,
            "none": None,
            "parts": [{"id": "p1"}, {"id": "p2"}, "oops"],
            "tags": "vip  billing",
            "tag_list": ["vip", "billing"],
            "when": "2025-01-08T14:25:30.123456789Z",
            "naive": "2025-01-08T14:25:30",
            "unix": 1717000000,
        }
    }
}


def invalid(path: str) -> Any:
    """pytest.raises for a PayloadInvalid naming exactly `path`."""
    return pytest.raises(PayloadInvalid, match="^" + re.escape(path) + ": ")


def test_reads_typed_values() -> None:
    assert jp.get_str(BODY, "data.item.name") == "Élodie"
    assert jp.get_int(BODY, "data.item.count") == 3
    assert jp.get_obj(BODY, "data.item")["count"] == 3
    assert jp.get_list(BODY, "data.item.parts")[0] == {"id": "p1"}
    assert jp.get_bool(BODY, "data.item.flag") is True
    assert jp.get_bool(BODY, "data.item.flag_text") is False


def test_optional_reads_treat_missing_and_null_alike() -> None:
    assert jp.opt_str(BODY, "data.item.missing") is None
    assert jp.opt_str(BODY, "data.item.none") is None
    assert jp.opt_obj(BODY, "data.nothing.deeper") is None
    assert jp.opt_list(BODY, "data.item.none") is None
    assert jp.opt_int(BODY, "data.item.none") is None
    assert jp.opt_bool(BODY, "data.item.none") is None


def test_missing_required_value_names_the_full_path() -> None:
    with invalid("data.item.missing") as error:
        jp.get_str(BODY, "data.item.missing")
    assert error.value.path == "data.item.missing"
    assert error.value.reason == "missing (expected string)"


def test_wrong_type_names_the_path_and_both_types() -> None:
    with invalid("data.item.count") as error:
        jp.get_str(BODY, "data.item.count")
    assert error.value.reason == "expected string, got integer"
    with invalid("data.item.name"):
        jp.opt_int(BODY, "data.item.name")
    with invalid("data.item.flag"):
        jp.get_int(BODY, "data.item.flag")  # a boolean is not an integer


def test_descending_into_a_non_object_names_the_non_object() -> None:
    with invalid("data.item.name") as error:
        jp.get_str(BODY, "data.item.name.first")
    assert error.value.reason == "expected object, got string"


def test_at_prefixes_paths_of_nested_objects() -> None:
    part = BODY["data"]["item"]["parts"][0]
    with invalid("data.item.parts[0].author.id"):
        jp.get_id(part, "author.id", at="data.item.parts[0]")


def test_ids_accept_strings_and_numbers_but_not_empty_or_booleans() -> None:
    assert jp.get_id(BODY, "data.item.id") == "12345"
    assert jp.get_id(BODY, "data.item.name") == "Élodie"
    assert jp.opt_id(BODY, "data.item.empty") is None
    with invalid("data.item.empty"):
        jp.get_id(BODY, "data.item.empty")
    with invalid("data.item.flag"):
        jp.get_id(BODY, "data.item.flag")


def test_bool_rejects_other_text() -> None:
    with invalid("data.item.name"):
        jp.opt_bool(BODY, "data.item.name")


def test_iter_objs_yields_item_paths_and_rejects_non_objects() -> None:
    items = jp.iter_objs(BODY, "data.item.parts")
    assert next(items) == ("data.item.parts[0]", {"id": "p1"})
    assert next(items) == ("data.item.parts[1]", {"id": "p2"})
    with invalid("data.item.parts[2]"):
        next(items)
    assert list(jp.iter_objs(BODY, "data.item.missing", required=False)) == []


def test_words_accept_array_or_space_separated_string() -> None:
    assert jp.opt_words(BODY, "data.item.tags") == ("vip", "billing")
    assert jp.opt_words(BODY, "data.item.tag_list") == ("vip", "billing")
    assert jp.opt_words(BODY, "data.item.missing") == ()
    with invalid("data.item.parts[0]"):
        jp.opt_words(BODY, "data.item.parts")
    with invalid("data.item.count"):
        jp.opt_words(BODY, "data.item.count")


def test_times_are_aware_utc() -> None:
    assert jp.get_iso_time(BODY, "data.item.when") == datetime(
        2025, 1, 8, 14, 25, 30, 123456, tzinfo=UTC
    )
    assert jp.get_unix_time(BODY, "data.item.unix") == datetime(2024, 5, 29, 16, 26, 40, tzinfo=UTC)
    assert jp.opt_iso_time(BODY, "data.item.empty") is None
    with invalid("data.item.naive"):
        jp.get_iso_time(BODY, "data.item.naive")
    with invalid("data.item.name"):
        jp.get_iso_time(BODY, "data.item.name")


def test_a_non_object_body_is_rejected_at_the_root() -> None:
    with pytest.raises(PayloadInvalid, match=r"^\$: expected object, got array"):
        jp.get_str([1, 2], "type")  # type: ignore[arg-type]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner),
    max_leaves=12,
)
READERS: list[Callable[..., object]] = [
    jp.get_str,
    jp.opt_str,
    jp.get_int,
    jp.opt_int,
    jp.get_obj,
    jp.opt_obj,
    jp.get_list,
]
READERS += [jp.opt_list, jp.get_id, jp.opt_id, jp.get_bool, jp.opt_bool, jp.opt_words]
READERS += [jp.opt_iso_time, jp.get_unix_time]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.dictionaries(st.sampled_from("abc"), JSON),
    path=st.lists(st.sampled_from("abc"), min_size=1, max_size=3).map(".".join),
    reader=st.sampled_from(READERS),
)
def test_untrusted_json_only_ever_raises_payload_invalid(body: Any, path: str, reader: Any) -> None:
    try:
        reader(body, path)
    except PayloadInvalid as error:
        assert path.startswith(error.path) or error.path.startswith(path)
