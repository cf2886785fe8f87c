"""A report's three renderings: Markdown (templates/reports/report.md.j2), CSV for its tables (the csv module),
and JSON; and splitting a file too large for one Slack upload into parts, never cutting anything off."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from bot.render import Renderer
from bot.reports.model import Report
from bot.standups.schedule import zone

SLACK_FILE_BYTES = 1_000_000_000  # files.getUploadURLExternal's `length`: Slack takes files up to 1 GB
PART_BYTES = 5_000_000  # Headway's own part size: a file people can open in Slack's viewer
DETAILED_PROJECTS = 5  # up to this many projects, every result is listed in the Markdown too (always in the CSV)


@dataclass(frozen=True)
class ReportFile:
    filename: str
    title: str
    content: str


def markdown(renderer: Renderer, report: Report, *, part: int = 0, parts: int = 0) -> str:
    return renderer.document("reports/report.md.j2", report=report, zone=zone(report.tz), names=report.names,
                             detailed=len(report.projects) <= DETAILED_PROJECTS, part=part, parts=parts)


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def tables(report: Report) -> dict[str, str]:
    """The report's tabular parts as CSV texts, by name (only those with rows, and always one)."""
    tz = zone(report.tz)
    found: dict[str, str] = {}
    if report.projects:
        found["projects"] = _csv(
            ["project", "name", "stage", "state", "label", "reason", *report.projects[0].goalposts],
            [[p.key, p.name, p.stage, p.state, p.label, p.reason, *p.goalposts.values()] for p in report.projects])
        events = [[p.key, e.at.astimezone(tz).isoformat(timespec="minutes"), e.kind, e.actor_id or "",
                   report.names.get(e.actor_id or "", e.actor_id or ""), e.title, e.reason, " | ".join(e.lines)]
                  for p in report.projects for e in p.entries]
        found["timeline"] = _csv(["project", "at", "kind", "actor_id", "actor", "what", "why", "details"], events)
        results = [[p.key, r.at.astimezone(tz).isoformat(timespec="minutes"), repr(r.value), r.confidence,
                    r.source, r.author, "yes" if r.counted else "no", r.note]
                   for p in report.projects for r in p.results]
        if results:
            found["results"] = _csv(["project", "at", "value", "confidence", "source", "by", "counted", "note"],
                                    results)
        labels = [[p.key, c.on.isoformat(), c.label, c.reason] for p in report.projects for c in p.labels]
        if labels:
            found["labels"] = _csv(["project", "week_ending", "label", "reason"], labels)
    if report.answers:
        questions = list(dict.fromkeys(q for a in report.answers for q, _ in a.answers))
        found["answers"] = _csv(
            ["standup", "run_date", "user_id", "person", "answered_at", "answered_at_person_local", "person_tz",
             "project", "metric_value", "confidence", "blocker", *questions],
            [[a.standup, a.run_date.isoformat(), a.user_id, a.person, a.reader_time, a.person_time, a.person_tz,
              a.project, "" if a.metric_value is None else repr(a.metric_value), a.confidence, a.blocker,
              *[dict(a.answers).get(q, "") for q in questions]] for a in report.answers])
    if report.participation:
        found["participation"] = _csv(
            ["standup", "user_id", "person", "prompted", "answered", "skipped", "missed"],
            [[r.standup, r.user_id, r.person, r.prompted, r.answered, r.skipped, r.missed]
             for r in report.participation])
    return found or {"answers": _csv(["standup", "run_date", "user_id", "person", "answered_at"], [])}


def as_json(report: Report) -> dict[str, Any]:
    tz = zone(report.tz)
    return {
        "title": report.title, "scope": report.scope.kind.value, "scope_name": report.scope.name,
        "period": {"label": report.period.label, "start": report.period.start.isoformat(),
                   "end": report.period.end.isoformat(), "as_of": report.period.as_of, "time_zone": report.tz},
        "generated_at": report.generated_at.isoformat(),
        "projects": [{
            "key": p.key, "name": p.name, "stage": p.stage, "state": p.state, "label": p.label, "reason": p.reason,
            "plain": p.plain, "goalposts": p.goalposts,
            "labels": [{"week_ending": c.on.isoformat(), "label": c.label, "reason": c.reason} for c in p.labels],
            "entries": [{"at": e.at.astimezone(tz).isoformat(), "kind": e.kind, "actor_id": e.actor_id,
                         "title": e.title, "reason": e.reason, "details": list(e.lines)} for e in p.entries],
            "results": [{"at": r.at.astimezone(tz).isoformat(), "value": r.value, "confidence": r.confidence or None,
                         "source": r.source, "by": r.author, "counted": r.counted, "note": r.note}
                        for r in p.results],
            "blockers": [{"text": b.text, "user_id": b.user_id, "reported_at": b.reported_at.isoformat(),
                          "resolved_at": b.resolved_at.isoformat() if b.resolved_at else None,
                          "age_days": b.age_days} for b in p.blockers],
        } for p in report.projects],
        "answers": [{"standup": a.standup, "run_date": a.run_date.isoformat(), "user_id": a.user_id,
                     "answered_at": a.reader_time, "answered_at_person_local": a.person_time,
                     "person_tz": a.person_tz, "project": a.project or None,
                     "answers": [{"question": q, "answer": t} for q, t in a.answers],
                     "metric_value": a.metric_value, "confidence": a.confidence or None,
                     "blocker": a.blocker or None} for a in report.answers],
        "participation": [{"standup": r.standup, "user_id": r.user_id, "prompted": r.prompted,
                           "answered": r.answered, "skipped": r.skipped, "missed": r.missed}
                          for r in report.participation],
    }


def split(text: str, limit: int, header: str = "") -> list[str]:
    """`text` in parts of at most `limit` bytes (UTF-8), cut at line ends (a CSV keeps its header in every
    part). A single line longer than `limit` is cut at character boundaries: nothing is ever dropped."""
    if len(text.encode()) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = [header] if header else []
    size = len(header.encode())
    for line in text[len(header):].splitlines(keepends=True) if header else text.splitlines(keepends=True):
        encoded = len(line.encode())
        if current and size + encoded > limit and size > len(header.encode()):
            parts.append("".join(current))
            current, size = ([header] if header else []), len(header.encode())
        while size + len(line.encode()) > limit:  # one huge line: cut it, keeping every character
            room = max(1, limit - size)
            piece = line.encode()[:room].decode(errors="ignore") or line[:1]
            current.append(piece)
            parts.append("".join(current))
            line = line[len(piece):]
            current, size = ([header] if header else []), len(header.encode())
        current.append(line)
        size += len(line.encode())
    if current and "".join(current) != header:
        parts.append("".join(current))
    return parts


def files(renderer: Renderer, report: Report, *, limit: int = PART_BYTES) -> list[ReportFile]:
    """The Markdown report and its CSVs, each split into numbered parts when larger than `limit` bytes."""
    stem = f"headway-{report.scope.name.replace(' ', '-').lower()}-{report.period.end.isoformat()}"
    found: list[ReportFile] = []
    text = markdown(renderer, report)
    chunks = split(text, limit)
    for number, chunk in enumerate(chunks, start=1):
        suffix = f"-part{number}of{len(chunks)}" if len(chunks) > 1 else ""
        note = f"(part {number} of {len(chunks)})\n\n" if len(chunks) > 1 else ""
        found.append(ReportFile(f"{stem}{suffix}.md", f"{report.title} — {report.period.label}"
                                f"{' ' + note.strip() if note else ''}", note + chunk))
    for name, table in tables(report).items():
        header = table.split("\n", 1)[0] + "\n"
        chunks = split(table, limit, header)
        for number, chunk in enumerate(chunks, start=1):
            suffix = f"-part{number}of{len(chunks)}" if len(chunks) > 1 else ""
            found.append(ReportFile(f"{stem}-{name}{suffix}.csv", f"{name} ({report.period.label})", chunk))
    return found
