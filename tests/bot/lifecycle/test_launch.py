"""The launch stage: marked in the lifecycle file (a Go into it ships), at most one, never the first."""

from __future__ import annotations

import pytest

from bot.lifecycle import LifecycleError, builtin, load_lifecycle_text

STAGE = """
  - name: {name}
    goal: Do it.
    approver_roles: [pm]
    exit_criteria: [{{key: done, text: Done}}]
"""


def lifecycle(*stages: tuple[str, str]) -> str:
    return "name: Tiny\nstages:" + "".join(STAGE.format(name=name) + extra for name, extra in stages)


def test_the_built_in_sets_mark_production_and_tech_transfer():
    assert builtin("default").launch_stage.key == "production"
    assert builtin("research").launch_stage.key == "tech-transfer"


def test_a_launch_stage_is_optional():
    assert load_lifecycle_text(lifecycle(("Build", ""), ("Run", ""))).launch_stage is None
    assert load_lifecycle_text(lifecycle(("Build", ""), ("Run", "    launch: true\n"))).launch_stage.name == "Run"


def test_two_launch_stages_or_a_launch_first_are_refused_with_their_lines():
    with pytest.raises(LifecycleError) as two:
        load_lifecycle_text(lifecycle(("Build", ""), ("Run", "    launch: true\n"), ("Keep", "    launch: true\n")),
                            source="team.yaml")
    assert "team.yaml:" in str(two.value) and "stages[2].launch: only one stage may be the launch stage" in \
        str(two.value)
    with pytest.raises(LifecycleError) as first:
        load_lifecycle_text(lifecycle(("Build", "    launch: true\n"), ("Run", "")))
    assert "stages[0].launch: the first stage cannot be the launch stage" in str(first.value)
    with pytest.raises(LifecycleError) as typed:
        load_lifecycle_text(lifecycle(("Build", ""), ("Run", "    launch: yes please\n")))
    assert "stages[1].launch: must be true or false" in str(typed.value)
