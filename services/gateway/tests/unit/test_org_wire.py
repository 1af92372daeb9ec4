"""The organization routes' pure pieces: the org service's reasons as Better-Auth answers them,
role names kept exactly as sent, and the query numbers Better-Auth coerces."""

import pytest

from authmesh_gateway.routes.organization import members_limit, metadata_json
from authmesh_gateway.routes.organization_common import (
    NOT_A_MEMBER_403,
    NOT_A_MEMBER_IS_MEMBER_NOT_FOUND,
    org_api_error,
)
from authmesh_gateway.routes.organization_members import names
from authmesh_gateway.wire.errors import ApiError
from authmesh_kit.errors import DomainError, ErrorKind


def org_error(reason: str, kind: ErrorKind = ErrorKind.NOT_FOUND, message: str = "") -> DomainError:
    return DomainError(kind, reason, "org", message)


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("ORGANIZATION_ALREADY_EXISTS", 400),
        ("MEMBER_NOT_FOUND", 400),
        ("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER", 403),
        ("EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION", 403),
        ("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER", 401),
        ("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION", 400),
    ],
)
def test_org_reasons_take_better_auths_status_and_message(reason: str, status: int) -> None:
    found = org_api_error(org_error(reason, message="the service's words"))
    assert (found.status, found.code) == (status, reason)
    assert found.message != "the service's words"  # the catalogue's message


def test_an_endpoint_answers_a_non_member_its_own_way() -> None:
    error = org_error("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    assert org_api_error(error, NOT_A_MEMBER_403).status == 403
    remapped = org_api_error(error, NOT_A_MEMBER_IS_MEMBER_NOT_FOUND)
    assert (remapped.status, remapped.code, remapped.message) == (
        400,
        "MEMBER_NOT_FOUND",
        "Member not found",
    )


def test_role_not_found_keeps_the_names_it_refused() -> None:
    found = org_api_error(org_error("ROLE_NOT_FOUND", message="ROLE_NOT_FOUND:  owner"))
    assert (found.status, found.message) == (400, "ROLE_NOT_FOUND:  owner")


def test_reasons_without_a_better_auth_code_keep_theirs() -> None:
    found = org_api_error(org_error("INVALID_MEMBER_QUERY", ErrorKind.INVALID_ARGUMENT, "bad"))
    assert (found.status, found.code, found.message) == (400, "INVALID_MEMBER_QUERY", "bad")
    unavailable = org_api_error(org_error("X", ErrorKind.UNAVAILABLE))
    assert unavailable.status == 503


def test_role_names_are_split_on_commas_and_never_trimmed() -> None:
    assert names("admin,member") == ["admin", "member"]
    assert names([" owner", "Owner"]) == [" owner", "Owner"]
    assert names("admin ,member") == ["admin ", "member"]
    assert names(["a,b", 5]) == ["a", "b"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("10", 10), (5, 5), ("abc", None), ("-1", None), ("0", None), ("1e309", None), (None, None)],
)
def test_members_limit_is_a_positive_count_or_none(raw: object, expected: int | None) -> None:
    assert members_limit(raw) == expected  # type: ignore[arg-type]  # any query value


def test_metadata_is_stored_as_javascript_writes_it() -> None:
    assert metadata_json({"k": 1, "é": [True, None]}, "body.metadata") == '{"k":1,"é":[true,null]}'
    with pytest.raises(ApiError) as refused:
        metadata_json({"k": float("inf")}, "body.metadata")
    assert refused.value.message == "[body.metadata] Invalid input"
