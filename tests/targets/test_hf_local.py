"""The `hf` target on a real transformers model loaded from local files (the `hf` extra).

The default and test installs leave torch and transformers out, so this module skips there; run
it with the extra installed (`pip install -e '.[hf]' pytest`). No hub is reachable here, so the
model is a tiny randomly initialised Llama with a BPE tokenizer trained on invented text and a
chat template, saved with `save_pretrained`: the target's real loading path
(`from_pretrained(..., local_files_only=True)`), chat templating and generation all run. Its
words are noise; the test checks the plumbing, not the answers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from riskscope.config import RunConfig
from riskscope.core import ErrorKind, RunStatus
from riskscope.runner import execute
from riskscope.store import Store

torch = pytest.importorskip("torch", reason="the hf extra (torch) is not installed")
transformers = pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")
tokenizers = pytest.importorskip("tokenizers", reason="the hf extra (tokenizers) is not installed")

TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant:{% endif %}"
)
TEXT = [
    "The weather today is mild, and the garden needs water before the evening.",
    "Please describe how a library organises its books by subject and author.",
    "A short answer names three colours: red, green and blue.",
]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-llama")
    bpe = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel()
    bpe.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(TEXT * 20, trainer)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    tokenizer.chat_template = TEMPLATE
    tokenizer.save_pretrained(folder)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
        bos_token_id=1, eos_token_id=2, pad_token_id=2,
    )  # fmt: skip
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def _run(model: Path, suite: Path, db: Path) -> list[tuple[str | None, str | None]]:
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "hf", "arg": str(model), "concurrency": 2},
            "judges": ["refusal"],
            "decoding": {"max_tokens": 12},
            "store": str(db),
        }
    )
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE
        rows = list(store.results(run.id))
    assert stats.called == len(rows) > 0
    out = []
    for row in rows:
        response = row.response
        assert response is not None
        # Noise from a random model may be empty after special tokens are dropped: that is an
        # EMPTY error (UNASSESSED), never a crash; anything else must be a real generation.
        if response.error is not None:
            assert response.error.kind is ErrorKind.EMPTY, response.error
        else:
            assert response.completion_tokens and 0 < response.completion_tokens <= 12
            assert response.prompt_tokens and response.prompt_tokens > 5
        out.append((response.text, response.finish_reason))
    return out


def test_hf_target_runs_a_local_model_through_the_pipeline(tiny_model: Path, tiny_suite: Path, tmp_path: Path) -> None:
    first = _run(tiny_model, tiny_suite, tmp_path / "a.db")
    second = _run(tiny_model, tiny_suite, tmp_path / "b.db")
    assert first == second  # greedy decoding repeats
    assert any(text for text, _ in first)


def test_hf_target_without_a_chat_template_is_a_config_error(tiny_model: Path, tmp_path: Path) -> None:
    from riskscope.config import TargetConfig
    from riskscope.errors import ConfigError
    from riskscope.targets import build_target

    plain = tmp_path / "no-template"
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model, local_files_only=True)
    tokenizer.chat_template = None
    tokenizer.save_pretrained(plain)
    transformers.AutoModelForCausalLM.from_pretrained(tiny_model, local_files_only=True).save_pretrained(plain)
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    with pytest.raises(ConfigError, match="no chat template"):
        build_target(TargetConfig(name="hf", arg=str(plain)))
    with pytest.raises(ConfigError, match="cannot load"):
        build_target(TargetConfig(name="hf", arg=str(tmp_path / "missing")))
