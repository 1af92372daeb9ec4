"""The score's arithmetic (domain/scoring.py), devices and address classes: pure functions."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from authmesh_risk.domain.devices import user_agent_family
from authmesh_risk.domain.geo import AddressKind, Place, classify
from authmesh_risk.domain.scoring import (
    Decision,
    LastSignIn,
    Signals,
    Thresholds,
    Weights,
    distance_km,
    score,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LONDON = Place(AddressKind.PUBLIC, "81.2.69.142", "81.2.69.0/24", "GB", 51.5073, -0.1276)
TOKYO = Place(AddressKind.PUBLIC, "133.242.0.1", "133.242.0.0/24", "JP", 35.6828, 139.7595)
USUAL = Signals(
    place=LONDON,
    now=NOW,
    user_agent_family="Firefox on Windows",
    has_history=True,
    device_known=True,
    country_known=True,
    last=LastSignIn(NOW - timedelta(minutes=5), "GB", 51.5073, -0.1276),
    usual_hours=frozenset({11, 12}),
    history_size=20,
    account_failures=0,
    pair_failures=0,
    ip_failures=0,
    network_sign_ups=0,
    network_sign_ins=0,
    clock_skew_s=0.0,
)


def decide(signals: Signals) -> tuple[int, Decision, set[str]]:
    result = score(signals, Weights(), Thresholds())
    return result.score, result.decision, {factor.name for factor in result.factors}


def test_an_everyday_sign_in_scores_nothing() -> None:
    assert decide(USUAL) == (0, Decision.ALLOW, set())


def test_another_continent_minutes_later_is_challenged() -> None:
    points, decision, factors = decide(replace(USUAL, place=TOKYO, country_known=False))
    assert decision is Decision.CHALLENGE
    assert factors == {"new_country", "impossible_travel"}
    assert points == 70


def test_a_passed_second_factor_turns_a_challenge_into_an_allow() -> None:
    signals = replace(USUAL, place=TOKYO, country_known=False, second_factor_satisfied=True)
    _, decision, factors = decide(signals)
    assert decision is Decision.ALLOW
    assert "second_factor_satisfied" in factors


def test_the_same_trip_a_day_later_is_travel_not_teleportation() -> None:
    last = LastSignIn(NOW - timedelta(days=1), "GB", 51.5073, -0.1276)
    _, decision, factors = decide(replace(USUAL, place=TOKYO, last=last))
    assert decision is Decision.ALLOW
    assert "impossible_travel" not in factors


def test_a_spraying_public_address_is_denied_a_private_one_is_not() -> None:
    _, decision, factors = decide(replace(USUAL, ip_failures=20))
    assert decision is Decision.DENY
    assert "ip_failure_velocity" in factors
    private = Place(AddressKind.PRIVATE, "10.0.0.1", "10.0.0.0/24")
    _, decision, factors = decide(replace(USUAL, place=private, ip_failures=500))
    assert decision is Decision.ALLOW
    assert factors == {"ip_private"}


def test_bad_input_is_still_decided_with_its_factors() -> None:
    unparseable = Place(AddressKind.UNPARSEABLE, "", "")
    points, decision, factors = decide(
        replace(USUAL, place=unparseable, user_agent_family="", clock_skew_s=-3600.0)
    )
    assert decision is Decision.ALLOW
    assert factors == {"ip_unparseable", "user_agent_missing", "clock_skew"}
    assert points == 25


def test_counters_out_of_reach_are_noted() -> None:
    gone = replace(USUAL, account_failures=None, pair_failures=None, ip_failures=None)
    assert decide(gone) == (0, Decision.ALLOW, {"counters_unavailable"})


def test_unusual_hour_needs_a_history() -> None:
    night = replace(USUAL, now=NOW.replace(hour=3))
    assert "unusual_hour" in decide(night)[2]
    assert "unusual_hour" not in decide(replace(night, history_size=2))[2]


def test_the_score_is_capped_and_thresholds_are_the_operators() -> None:
    worst = replace(
        USUAL,
        place=TOKYO,
        country_known=False,
        device_known=False,
        account_failures=100,
        pair_failures=10,
        ip_failures=100,
    )
    assert score(worst, Weights(), Thresholds()).score == 100
    lenient = score(replace(USUAL, place=TOKYO, country_known=False), Weights(), Thresholds(80, 95))
    assert lenient.decision is Decision.ALLOW


def test_user_agent_families_ignore_versions() -> None:
    chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0"
    assert user_agent_family(chrome) == "Chrome on Linux"
    assert user_agent_family(chrome.replace("129.0", "130.0")) == "Chrome on Linux"
    assert user_agent_family("") == ""
    assert user_agent_family("curl/8.5.0") == "curl"


def test_addresses_are_classified() -> None:
    assert classify("")[0] is AddressKind.MISSING
    assert classify("999.1.1.1")[0] is AddressKind.UNPARSEABLE
    assert classify("192.168.1.4")[0] is AddressKind.PRIVATE
    assert classify("::ffff:8.8.8.8")[0] is AddressKind.PUBLIC
    assert 9000 < distance_km((51.5, -0.13), (35.68, 139.76)) < 9800
