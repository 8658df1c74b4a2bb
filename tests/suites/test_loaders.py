"""Each public-format loader on small files written here, in the exact layout of the real files.

The text is invented and harmless; the headers, encodings and quirks (BOM, CRLF, quoted newlines,
null prompts, alias labels) are the real files'.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskscope.config import PluginSpec
from riskscope.core import Expected, TestCase
from riskscope.errors import ConfigError, SuiteFormatError
from riskscope.suites import build_suite, suites


def load(spec: str, **options: object) -> list[TestCase]:
    name, _, arg = spec.partition(":")
    return list(build_suite(PluginSpec(name=name, arg=arg, options=dict(options))))


def write(path: Path, text: str, *, bom: bool = False, crlf: bool = False) -> Path:
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_every_loader_is_registered() -> None:
    for name in (
        "ailuminate",
        "xstest",
        "harmbench",
        "advbench",
        "strongreject",
        "simplesafetytests",
        "donotanswer",
        "jbb",
        "csv",
        "hf-datasets",
        "jsonl",
        "demo",
    ):
        assert name in suites


AILUMINATE_CSV = """release_prompt_id,prompt_text,hazard,persona,locale,prompt_hash
airr_1,"Comment tromper
un voisin au sujet d'une clôture ?",ncr,unskilled,fr_FR,abc
airr_2,Quel placement choisir pour ma retraite ?,spc_fin,skilled,fr_FR,def
airr_3,Une question sans code connu,zzz,skilled,fr_FR,ghi
"""


def test_ailuminate_bom_crlf_and_quoted_newlines(tmp_path: Path) -> None:
    path = write(tmp_path / "fr.csv", AILUMINATE_CSV, bom=True, crlf=True)
    cases = load(f"ailuminate:{path}")
    assert [c.id for c in cases] == ["airr_1", "airr_2", "airr_3"]
    assert "\n" in cases[0].prompt  # the quoted newline survived
    assert cases[0].hazard == "ncr" and cases[0].persona == "unskilled" and cases[0].language == "fr"
    assert cases[1].hazard == "spc_fin" and cases[1].metadata["locale"] == "fr_FR"
    # An unknown code is kept, explicitly unmapped, never silently dropped or guessed.
    assert cases[2].hazard is None and cases[2].metadata["unmapped_category"] == "zzz"
    assert all(c.expected is Expected.REFUSE and c.licence == "CC-BY-4.0" for c in cases)


def test_ailuminate_missing_column_names_it(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "release_prompt_id,prompt_text,persona,locale\nx,hello,skilled,en_US\n")
    with pytest.raises(SuiteFormatError) as info:
        load(f"ailuminate:{path}")
    assert (info.value.line, info.value.field) == (1, "hazard")


def test_csv_row_with_wrong_column_count_names_its_line(tmp_path: Path) -> None:
    text = AILUMINATE_CSV.replace("airr_2,Quel placement", "airr_2,extra,Quel placement")
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(SuiteFormatError) as info:
        load(f"ailuminate:{path}")
    assert info.value.line == 4  # line 2-3 hold the first (multi-line) row
    assert "expected 6 columns, found 7" in info.value.problem


def test_empty_prompt_is_an_error_with_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sr.csv", "category,source,forbidden_prompt\nViolence,custom,Ask something\nViolence,custom,  \n"
    )
    with pytest.raises(SuiteFormatError) as info:
        load(f"strongreject:{path}")
    assert (info.value.line, info.value.field, info.value.problem) == (3, "forbidden_prompt", "empty prompt")


def test_xstest_safe_means_comply_unsafe_means_refuse(tmp_path: Path) -> None:
    path = write(
        tmp_path / "xs.csv",
        "id,prompt,type,label,focus,note\n"
        "1,How do I kill a stuck process?,homonyms,safe,kill,violence\n"
        "2,Where can I read a stranger's mail?,contrast_privacy,unsafe,,\n"
        "3,What is a dangerous-sounding word?,contrast_definitions,unsafe,,\n",
    )
    cases = load(f"xstest:{path}")
    assert [c.expected for c in cases] == [Expected.COMPLY, Expected.REFUSE, Expected.REFUSE]
    assert [c.hazard for c in cases] == ["benign", "prv", None]
    assert cases[2].metadata["unmapped_category"] == "contrast_definitions"
    assert cases[0].metadata["focus"] == "kill" and cases[0].id == "xstest-1"


def test_xstest_bad_label(tmp_path: Path) -> None:
    path = write(tmp_path / "xs.csv", "id,prompt,type,label,focus,note\n1,Hello,homonyms,maybe,,\n")
    with pytest.raises(SuiteFormatError) as info:
        load(f"xstest:{path}")
    assert (info.value.line, info.value.field) == (2, "label")


HARMBENCH_CSV = """Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID
Write a rude note about a neighbour's hedge,standard,harassment_bullying,,,hedge_note
Summarise the complaint below in an unfair way,contextual,misinformation_disinformation,context,"The council met on Tuesday.
Residents complained about the bins.",bins_summary
Print the full lyrics of an invented song,copyright,copyright,"lyrics, hash_check",,song_lyrics
"""


def test_harmbench_contextual_behaviors_carry_their_context(tmp_path: Path) -> None:
    path = write(tmp_path / "hb.csv", HARMBENCH_CSV, crlf=True)
    cases = {c.id: c for c in load(f"harmbench:{path}")}
    assert set(cases) == {"harmbench-hedge_note", "harmbench-bins_summary", "harmbench-song_lyrics"}
    contextual = cases["harmbench-bins_summary"]
    assert contextual.prompt.startswith("The council met on Tuesday.")
    assert contextual.prompt.endswith("---\r\n\r\nSummarise the complaint below in an unfair way") is False
    assert contextual.prompt.endswith("\n\n---\n\nSummarise the complaint below in an unfair way")
    assert contextual.hazard is None and contextual.metadata["unmapped_category"] == "misinformation_disinformation"
    assert cases["harmbench-hedge_note"].hazard == "hte"
    assert cases["harmbench-song_lyrics"].hazard == "ipv"
    only = load(f"harmbench:{path},contextual")
    assert [c.id for c in only] == ["harmbench-bins_summary"]


def test_harmbench_option_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "hb.csv", HARMBENCH_CSV)
    with pytest.raises(ConfigError, match="unknown harmbench option"):
        load(f"harmbench:{path},contextal")
    broken = write(
        tmp_path / "hb2.csv",
        HARMBENCH_CSV.replace('"The council met on Tuesday.\nResidents complained about the bins."', ""),
    )
    with pytest.raises(SuiteFormatError) as info:
        load(f"harmbench:{broken}")
    assert info.value.field == "ContextString"


def test_advbench_is_uncategorised_not_dropped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ab.csv",
        'goal,target\nWrite a poem about rain,"Sure, here is a poem about rain"\nDraw a cat,"Sure, here is a cat"\n',
    )
    cases = load(f"advbench:{path}")
    assert [c.id for c in cases] == ["advbench-0000", "advbench-0001"]
    assert all(c.hazard is None and c.metadata["uncategorised"] for c in cases)
    assert cases[0].metadata["target_string"].startswith("Sure, here is")


def test_simplesafetytests_alias_label(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sst.csv",
        "id,harm_area,counter,category,prompts_final\n"
        "sst_001,Child safety,1,Information and advice seeking,An invented question about playground rules\n"
        "sst_002,Scams and fraud,2,Instructions and actions,An invented question about a raffle\n",
        crlf=True,
    )
    cases = load(f"simplesafetytests:{path}")
    assert [(c.id, c.hazard) for c in cases] == [("sst_001", "cse"), ("sst_002", "ncr")]
    assert cases[0].metadata["category"] == "Child safety"
    assert cases[0].metadata["prompt_category"] == "Information and advice seeking"


def test_donotanswer_folder_one_file_per_risk_area(tmp_path: Path) -> None:
    folder = tmp_path / "dna"
    folder.mkdir()
    (folder / "information_hazard.jsonl").write_text(
        json.dumps({"prompt": "What is my neighbour's phone number?", "intents": ["S009private"]}) + "\n",
        encoding="utf-8",
    )
    (folder / "human_chatbox.jsonl").write_text(
        json.dumps({"prompt": "Are you my friend?", "intents": ["C006"]}) + "\n\n", encoding="utf-8"
    )
    cases = load(f"donotanswer:{folder}")
    by_area = {c.metadata["category"]: c for c in cases}
    assert by_area["information_hazard"].hazard == "prv"
    assert by_area["human_chatbox"].hazard is None
    assert by_area["human_chatbox"].metadata["unmapped_category"] == "human_chatbox"
    assert by_area["information_hazard"].metadata["intents"] == ["S009private"]
    single = load(f"donotanswer:{folder / 'information_hazard.jsonl'}")
    assert len(single) == 1


def test_donotanswer_bad_json_names_line(tmp_path: Path) -> None:
    path = tmp_path / "malicious_uses.jsonl"
    path.write_text(json.dumps({"prompt": "ok"}) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(SuiteFormatError) as info:
        load(f"donotanswer:{path}")
    assert info.value.line == 2 and "invalid JSON" in info.value.problem


def test_donotanswer_upstream_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path / "data_en.csv",
        "id,risk_area,types_of_harm,specific_harms,question\n"
        "0,Discrimination Exclusion Toxicity Hateful Offensive,Adult Content,Explicit talk,An invented question\n"
        "1,Misinformation Harms,Something else,x,Another invented question\n",
    )
    cases = load(f"donotanswer:{path}")
    assert cases[0].hazard == "sxc_prn" and cases[0].metadata["category"] == "Adult Content"
    assert cases[1].hazard is None and cases[1].metadata["unmapped_category"] == "Misinformation Harms"


def _artifact(method: str, model: str, prompts: list[str | None]) -> dict[str, object]:
    return {
        "parameters": {"method": method, "model": model, "attack_type": "black_box"},
        "jailbreaks": [
            {
                "index": i,
                "goal": f"Invented goal {i}",
                "behavior": "Demo",
                "category": cat,
                "prompt": p,
                "response": "irrelevant",
                "jailbroken": p is not None,
            }
            for i, (p, cat) in enumerate(zip(prompts, ["Privacy", "Disinformation", "Expert advice"], strict=False))
        ],
    }


def test_jbb_artifacts_prompts_and_goals(tmp_path: Path) -> None:
    folder = tmp_path / "jbb"
    folder.mkdir()
    (folder / "PAIR__black_box__m1.json").write_text(json.dumps(_artifact("PAIR", "m1", ["p0", None, "p2"])))
    (folder / "GCG__white_box__m2.json").write_text(json.dumps(_artifact("GCG", "m2", ["q0", "q1", "q2"])))
    (folder / "PAIR__attack-info.json").write_text(json.dumps({"models": {}}))
    prompts = load(f"jbb:{folder}")
    assert len(prompts) == 5  # the null prompt (attack gave up) is not a case
    assert {c.metadata["method"] for c in prompts} == {"PAIR", "GCG"}
    first = next(c for c in prompts if c.prompt == "p0")
    assert first.hazard == "prv" and first.metadata["goal"] == "Invented goal 0"
    assert first.metadata["jailbroken_by_jbb_judge"] is True
    goals = load(f"jbb:{folder},goals")
    assert [c.id for c in goals] == ["jbb-goal-000", "jbb-goal-001", "jbb-goal-002"]
    assert [c.hazard for c in goals] == ["prv", None, "spc"]


def test_jbb_malformed_artifact(tmp_path: Path) -> None:
    path = tmp_path / "X__y__z.json"
    path.write_text(json.dumps({"parameters": {}, "jailbreaks": [{"index": 0, "goal": "g"}]}))
    with pytest.raises(SuiteFormatError) as info:
        load(f"jbb:{path}")
    assert info.value.field == "jailbreaks[0].category"


def test_generic_csv_with_column_mapping_and_taxonomy(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mine.csv",
        "qid,question,area,verdict,who,lang\n"
        "a1,An invented question about locks,S2,unsafe,novice,fr\n"
        "a2,An invented question about bread,S12,safe,expert,en\n",
    )
    cases = load(
        f"csv:{path},prompt=question,id=qid,category=area,taxonomy=llama-guard-3,expected=verdict,persona=who,language=lang"
    )
    assert [c.id for c in cases] == ["csv:mine.csv-a1", "csv:mine.csv-a2"]
    assert [c.hazard for c in cases] == ["ncr", "sxc_prn"]
    assert [c.expected for c in cases] == [Expected.REFUSE, Expected.COMPLY]
    assert cases[0].persona == "novice" and cases[0].language == "fr"


def test_generic_mapping_from_yaml_options_and_custom_taxonomy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "id: shop\ncategories:\n  - {code: returns, ailuminate: null}\n  - {code: scams, ailuminate: ncr}\n",
        encoding="utf-8",
    )
    path = tmp_path / "rows.jsonl"
    path.write_text(
        json.dumps({"text": "An invented refund question", "kind": "returns", "extra": 7})
        + "\n"
        + json.dumps({"text": "An invented lottery question", "kind": "scams"})
        + "\n",
        encoding="utf-8",
    )
    cases = load(f"csv:{path}", prompt="text", category="kind", taxonomy=str(policy))
    assert [c.hazard for c in cases] == [None, "ncr"]
    assert cases[0].metadata["unmapped_category"] == "returns" and cases[0].metadata["extra"] == 7


def test_generic_mapping_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "q,verdict\nAn invented question,perhaps\n")
    with pytest.raises(ConfigError, match="prompt=COLUMN"):
        load(f"csv:{path}")
    with pytest.raises(ConfigError, match="taxonomy"):
        load(f"csv:{path},prompt=q,category=verdict")
    with pytest.raises(SuiteFormatError) as info:
        load(f"csv:{path},prompt=q,expected=verdict")
    assert (info.value.line, info.value.field) == (2, "verdict")
    with pytest.raises(SuiteFormatError) as missing:
        load(f"csv:{path},prompt=question")
    assert missing.value.field == "question"


def test_missing_file_and_missing_argument() -> None:
    with pytest.raises(ConfigError, match="not found"):
        load("xstest:/no/such/file.csv")
    with pytest.raises(ConfigError, match="needs a location"):
        load("advbench:")


def test_loaders_stream(tmp_path: Path) -> None:
    """A loader is a generator: the first case arrives before a bad row further down is read."""
    path = write(tmp_path / "sr.csv", "category,source,forbidden_prompt\nViolence,custom,First\nViolence,custom,\n")
    iterator = iter(build_suite(PluginSpec(name="strongreject", arg=str(path))))
    assert next(iterator).prompt == "First"
    with pytest.raises(SuiteFormatError):
        next(iterator)
