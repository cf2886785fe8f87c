import json

import pytest

from bot.render import Renderer, TemplateOutputError

HOSTILE = '<!channel> <@U999|boss> <https://evil.example|click> & "quotes" \\ back\nnew line'


@pytest.fixture
def renderer(tmp_path):
    return Renderer()


def test_user_text_is_escaped_for_mrkdwn_and_json_by_default(renderer):
    template = renderer.env.from_string(
        '{% from "macros.j2" import section %}{"blocks": [{{ section(x) }}{% call section() %}*{{ x }}*{% endcall %}]}'
    )
    blocks = json.loads(template.render(x=HOSTILE).replace("},]", "}]"))["blocks"]
    for block in blocks:
        text = block["text"]["text"]
        assert "<" not in text and ">" not in text
        assert "&lt;!channel&gt;" in text and "&amp;" in text and '"quotes"' in text and "\n" in text


def test_plain_text_fields_are_not_mrkdwn_escaped(renderer):
    view = renderer.env.from_string('{"v": "{{ x|plain }}"}').render(x="R&D <team>")
    assert json.loads(view) == {"v": "R&D <team>"}


def test_trusted_mentions_only_for_real_ids(renderer):
    out = renderer.env.from_string('"{{ a|user }} {{ b|user }} {{ c|channel }}"').render(
        a="U123ABC", b="<!here>", c="C0123"
    )
    assert json.loads(out) == "<@U123ABC> someone <#C0123>"


def test_links_escape_labels_and_refuse_odd_urls(renderer):
    t = renderer.env.from_string('"{{ u|link(label) }}"')
    assert json.loads(t.render(u="https://mlflow.example/r/1", label="run <1>|x")) == (
        "<https://mlflow.example/r/1|run &lt;1&gt;¦x>"
    )
    assert json.loads(t.render(u="javascript:alert(1)", label="x")) == "x"


def test_override_directory_replaces_templates_by_name(tmp_path):
    (tmp_path / "errors").mkdir()
    (tmp_path / "errors" / "problem.json.j2").write_text('{"text": "custom: {{ problem }}", "blocks": []}')
    message = Renderer(tmp_path).message("errors/problem.json.j2", problem="x<y")
    assert message.text == "custom: x&lt;y"
    assert Renderer().message("errors/problem.json.j2", problem="p").text == "p"


def test_undefined_variables_fail_loudly(renderer):
    with pytest.raises(Exception, match="undefined"):
        renderer.message("errors/problem.json.j2")


def test_invalid_json_output_names_the_template(tmp_path):
    (tmp_path / "broken.json.j2").write_text('{"text": {{ x }}}')
    with pytest.raises(TemplateOutputError, match="broken.json.j2"):
        Renderer(tmp_path).render_json("broken.json.j2", x="not json")


def test_compiled_templates_are_reused_but_an_edited_one_is_compiled_afresh(tmp_path):
    template = tmp_path / "errors" / "problem.json.j2"
    template.parent.mkdir()
    template.write_text('{"text": "first {{ problem }}"}')
    assert Renderer(tmp_path).message("errors/problem.json.j2", problem="x").text == "first x"
    assert Renderer(tmp_path).message("errors/problem.json.j2", problem="y").text == "first y"  # from the cache
    template.write_text('{"text": "second {{ problem }}"}')
    assert Renderer(tmp_path).message("errors/problem.json.j2", problem="z").text == "second z"
