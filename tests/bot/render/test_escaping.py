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
