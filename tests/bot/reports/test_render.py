"""A report too large for one file is split into numbered parts, never cut: every byte is in some part."""

from __future__ import annotations

from bot.reports.render import split


def test_split_keeps_every_line_and_the_csv_header_in_each_part() -> None:
    header = "project,at,value\n"
    text = header + "".join(f"P{n:03d},2026-07-{n % 28 + 1:02d},0.{n:03d}\n" for n in range(500))
    parts = split(text, 1000, header)
    assert len(parts) > 1 and all(len(p.encode()) <= 1000 for p in parts)
    assert all(p.startswith(header) for p in parts)
    assert "".join(p[len(header):] for p in parts) == text[len(header):]


def test_a_single_line_longer_than_a_part_is_cut_without_losing_a_character() -> None:
    text = "é" * 3000 + "\nend\n"
    parts = split(text, 1000)
    assert "".join(parts) == text and all(len(p.encode()) <= 1000 for p in parts)


def test_a_small_text_is_one_part() -> None:
    assert split("# Report\n", 1000) == ["# Report\n"]
