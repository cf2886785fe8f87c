import json

from hypothesis import given
from hypothesis import strategies as st

from bot.render.escaping import json_escape, mrkdwn_escape, mrkdwn_unescape, strip_trailing_commas


def test_mrkdwn_escape_neutralises_mentions_and_links():
    assert mrkdwn_escape("<!channel> & <@U123> <http://evil|click>") == (
        "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;http://evil|click&gt;"
    )
    assert mrkdwn_unescape(mrkdwn_escape("a < b & c > d")) == "a < b & c > d"


def test_json_escape_is_the_inside_of_a_string():
    assert json_escape('say "hi"\n\\') == 'say \\"hi\\"\\n\\\\'


def test_trailing_commas_are_dropped_outside_strings_only():
    assert strip_trailing_commas('{"a": [1, 2,], "b": "x,]",}') == '{"a": [1, 2], "b": "x,]"}'
    assert strip_trailing_commas('["a\\",]",\n ]') == '["a\\",]"\n ]'
    assert strip_trailing_commas('["a\\\\", "\\\\\\",}",]') == '["a\\\\", "\\\\\\",}"]'  # \\ ends a string


def test_a_document_with_raw_control_characters_is_left_for_the_parser_to_refuse():
    assert strip_trailing_commas('["a\x00",]') == '["a\x00",]'


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from(list('ab ,]}[{"\\\n&<>😀'))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=12)


def with_trailing_commas(value: object) -> str:
    """`value` as JSON the way a template loop writes it: a comma after every item, the last one too."""
    if isinstance(value, list):
        return "[" + "".join(with_trailing_commas(item) + ", " for item in value) + "]"
    if isinstance(value, dict):
        return "{" + "".join(f"{json.dumps(k)}: {with_trailing_commas(v)},\n" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


@given(JSON_VALUES)
def test_any_document_with_loop_commas_parses_to_what_was_meant(value):
    assert json.loads(strip_trailing_commas(with_trailing_commas(value))) == value
    assert strip_trailing_commas(json.dumps(value, ensure_ascii=False)) == json.dumps(value, ensure_ascii=False)


@given(st.text())
def test_mrkdwn_escape_leaves_no_control_character_and_undoes(text):
    escaped = mrkdwn_escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert mrkdwn_unescape(escaped) == text
