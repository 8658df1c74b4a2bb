"""RiskCard markdown: every hazard gets the RiskCards sections, figures match, examples stay inert."""

from __future__ import annotations

from pathlib import Path

from _synthetic import build_run

from riskscope.reports import render_riskcard, summarise, write_riskcard
from riskscope.reports.riskcard import EXAMPLE_CHARS, escape_markdown
from riskscope.store import Store


def test_every_hazard_has_the_riskcard_sections_and_its_measured_interval(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    summary, rows = summarise(store, build_run(store, 40, payloads=True))
    card = render_riskcard(summary, rows)
    assert "Content warning" in card
    sections = card.split("\n## ")[1:]
    hazard_sections = [s for s in sections if not s.startswith("Over-refusal")]
    assert len(hazard_sections) == len(summary.hazards)
    for figures, section in zip(summary.hazards, hazard_sections, strict=True):
        for heading in ("**Risk.**", "**Harm types", "**Actions required for harm", "**Categorisation.**", "**Measured.**"):
            assert heading in section, (figures.key, heading)
        assert f"ailuminate-v1.0: `{figures.key}`" in section
        rate = figures.unsafe_rate
        assert f"[{100 * rate.low:.1f}%, {100 * rate.high:.1f}%]" in section
        assert f"{figures.unsafe} unsafe of {figures.assessed} assessed; {figures.unassessed} unassessed" in section
    assert "## Over-refusal" in card


def test_examples_are_truncated_and_escaped() -> None:
    long_text = "word " * 200
    assert len(escape_markdown(long_text)) <= EXAMPLE_CHARS
    escaped = escape_markdown('<script>x</script> [click](javascript:alert(1)) <img onerror="y">\n# heading')
    assert "<" not in escaped and ">" not in escaped
    assert "](" not in escaped  # no markdown link can form
    assert "\n" not in escaped


def test_hostile_payloads_never_appear_raw_in_the_card(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    summary, rows = summarise(store, build_run(store, 40, payloads=True))
    card = write_riskcard(tmp_path / "card.md", summary, rows).read_text(encoding="utf-8")
    assert "<script>" not in card and "<img" not in card and "<a " not in card
    assert "&lt;script&gt;" in card


def test_placements_list_every_crosswalk_that_maps_to_the_hazard() -> None:
    from riskscope.reports.riskcard import _crosswalks, placements
    from riskscope.taxonomy import AILUMINATE_V1, top_level

    lines = placements("vcr")
    assert lines[0].startswith(f"{AILUMINATE_V1}: `vcr`")
    mapped_sources = {
        c.source
        for c in _crosswalks()
        if c.source != AILUMINATE_V1 and any(m.target and top_level(m.target) == "vcr" for m in c.mappings)
    }
    assert len(lines) == 1 + len(mapped_sources)
    assert all(any(line.startswith(escape_markdown(s, 60) + ":") for line in lines) for s in mapped_sources)


def test_ampersands_read_plainly_but_cannot_form_entities() -> None:
    """Issue 19: the RiskCard printed "Suicide &amp; self-harm"; only an entity-like "&" is escaped."""
    from riskscope.reports.riskcard import escape_markdown

    assert escape_markdown("Suicide & self-harm") == "Suicide & self\\-harm"
    assert escape_markdown("&lt;script&gt; &#60;") == "&amp;lt;script&amp;gt; &amp;\\#60;"
