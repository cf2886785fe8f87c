from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.lifecycle import builtin
from bot.projects.draft import validate_draft

TODAY = date(2026, 11, 23)
LIFECYCLE = builtin("default")


def raw(**overrides):
    values = {"key": "fraud", "name": "Fraud detection", "metric_name": "recall", "metric_direction": "higher",
              "baseline": "0.62", "target": "0.9", "start_date": "2026-11-02", "expected_date": "2027-03-31",
              "kill_date": "2027-06-30", "stage": "feasibility", "pms": ["UPM00001"], "members": ["UMEMBER1"]}
    values.update(overrides)
    return values


def errors_of(**overrides) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        validate_draft(raw(**overrides), LIFECYCLE, TODAY)
    return info.value.errors


def test_a_valid_form_becomes_a_draft():
    draft = validate_draft(raw(), LIFECYCLE, TODAY)
    assert draft.key == "FRAUD"
    assert (draft.baseline, draft.target) == (0.62, 0.9)
    assert draft.expected_date == date(2027, 3, 31)
    assert draft.pm_ids == ("UPM00001",)


def test_missing_dates_and_stage_take_sensible_defaults():
    draft = validate_draft(raw(start_date=None, expected_date=None, kill_date=None, stage=None), LIFECYCLE, TODAY)
    assert draft.start_date == TODAY
    assert draft.stage == LIFECYCLE.first_stage.key


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"key": ""}, "key", "fill this in"),
        ({"key": "1X"}, "key", "starting with a letter"),
        ({"key": "WAYTOOLONGKEY1"}, "key", "under 12"),
        ({"name": "  "}, "name", "fill this in"),
        ({"metric_name": ""}, "metric_name", "fill this in"),
        ({"baseline": "abc"}, "baseline", "number"),
        ({"target": "nan"}, "target", "finite"),
        ({"target": "0.5"}, "target", "above the baseline"),
        ({"metric_direction": "lower"}, "target", "below the baseline"),
        ({"target": "0.62"}, "target", "differ"),
        ({"expected_date": "2026-01-01"}, "expected_date", "before the start"),
        ({"kill_date": "2027-01-01"}, "kill_date", "before the expected"),
        ({"stage": "nowhere"}, "stage", "stages"),
        ({"metric_direction": "sideways"}, "metric_direction", "higher or lower"),
        ({"start_date": "2026-13-45"}, "start_date", "YYYY-MM-DD"),
    ],
)
def test_each_problem_is_reported_on_its_field(overrides, field, words):
    assert words in errors_of(**overrides)[field]


def test_all_problems_are_reported_at_once():
    assert set(errors_of(key="", name="", metric_name="")) == {"key", "name", "metric_name"}


@given(st.dictionaries(st.sampled_from(list(raw())), st.one_of(st.none(), st.text(max_size=40))))
def test_arbitrary_input_is_a_draft_or_field_errors(overrides):
    try:
        validate_draft(raw(**overrides), LIFECYCLE, TODAY)
    except InvalidInput as error:
        assert error.errors and all(isinstance(m, str) and m for m in error.errors.values())
