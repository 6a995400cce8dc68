"""Key bookkeeping: load reports, reversible rename rules, base/head prefix alignment."""

import pytest

from tfx_core.errors import ConfigError, LoadError
from tfx_core.weights import LoadReport, RenameRules, align_prefix


def test_load_report_contents_and_strict_raising():
    report = LoadReport(
        missing=["classifier.weight"],
        unexpected=["cls.predictions.bias"],
        mismatched=[("embeddings.word_embeddings.weight", (10, 4), (12, 4))],
        ignored_unexpected=["embeddings.position_ids"],
    )
    assert not report.is_clean
    text = str(report)
    assert "missing from the checkpoint" in text and "classifier.weight" in text
    assert "cls.predictions.bias" in text
    assert "checkpoint (10, 4), model (12, 4)" in text
    assert "ignored as harmless: embeddings.position_ids" in text
    with pytest.raises(LoadError, match=r"classifier.weight") as excinfo:
        report.raise_if_problems()
    assert excinfo.value.report is report


def test_clean_report_and_long_listings():
    clean = LoadReport(ignored_unexpected=["embeddings.position_ids"])
    assert clean.is_clean and str(clean).startswith("all weights loaded")
    clean.raise_if_problems()
    assert LoadReport(mismatched=[("a", (1,), (2,))]).is_clean is False
    many = LoadReport(missing=[f"k{i}" for i in range(120)])
    assert "and 70 more" in str(many) and len(many.missing) == 120


def test_rename_rules_apply_and_invert():
    rules = RenameRules(
        [
            (r"(.*)\.gamma$", r"\1.weight"),
            (r"(.*)\.beta$", r"\1.bias"),
            (r"attention\.self\.", "attention."),
            (r"^layers\.(\d+)\.", r"encoder.layer.\1."),
        ]
    )
    old = ["layers.0.attention.self.LayerNorm.gamma", "layers.11.LayerNorm.beta", "pooler.w"]
    renamed = rules.apply_all(old)
    assert renamed == {
        old[0]: "encoder.layer.0.attention.LayerNorm.weight",
        old[1]: "encoder.layer.11.LayerNorm.bias",
        "pooler.w": "pooler.w",
    }
    inverse = rules.invert()
    assert {new: inverse.apply(new) for new in renamed.values()} == {
        v: k for k, v in renamed.items()
    }
    assert inverse.invert().apply_all(old) == renamed


def test_inverting_reordered_and_named_groups():
    rules = RenameRules([(r"^(?P<a>\w+)\.(\d+)\.kernel$", r"\2.\g<a>.weight")])
    assert rules.apply("dense.3.kernel") == "3.dense.weight"
    assert rules.invert().apply("3.dense.weight") == "dense.3.kernel"


@pytest.mark.parametrize(
    ("pattern", "replacement"),
    [
        (r"a.b", "c"),  # unescaped dot
        (r"(\w+)\.x", "y"),  # group dropped
        (r"(\w+)\.x", r"\1.\1"),  # group used twice
        (r"\w+\.x", "y"),  # class outside a group
        (r"a|b", "c"),  # alternation
        (r"(?:a)b", "c"),  # non-capturing group
        (r"(a(b))", r"\1"),  # nested groups
    ],
)
def test_rules_that_cannot_be_inverted(pattern, replacement):
    rules = RenameRules([(pattern, replacement)])
    with pytest.raises(ConfigError, match="cannot be inverted"):
        rules.invert()


def test_invalid_rules_and_collisions():
    with pytest.raises(ConfigError, match="Invalid rename rule"):
        RenameRules([("(", "x")])
    with pytest.raises(ConfigError, match="group '2'"):
        RenameRules([(r"(a)", r"\2")])
    rules = RenameRules([(r"\.gamma$", ".weight")])
    with pytest.raises(ConfigError, match="both"):
        rules.apply_all(["ln.gamma", "ln.weight"])


BASE = ["embeddings.word.weight", "encoder.layer.0.weight", "pooler.dense.weight"]
HEAD = ["bert." + key for key in BASE] + ["classifier.weight", "classifier.bias"]


def test_align_equal_layouts():
    assert align_prefix(HEAD, HEAD, "bert") == {key: key for key in HEAD}
    assert align_prefix(BASE, BASE, "bert") == {key: key for key in BASE}


def test_align_base_checkpoint_into_head_model():
    mapping = align_prefix(BASE, HEAD, "bert")
    assert mapping == {"bert." + key: key for key in BASE}  # the classifier stays missing


def test_align_head_checkpoint_into_base_model():
    mapping = align_prefix(HEAD, BASE, "bert.")
    assert mapping == {key: "bert." + key for key in BASE}
    unexpected = set(HEAD) - set(mapping.values())
    assert unexpected == {"classifier.weight", "classifier.bias"}


def test_align_without_prefix_or_overlap():
    assert align_prefix(BASE, BASE[:2], "") == {key: key for key in BASE[:2]}
    assert align_prefix(["x"], ["y"], "bert") == {}
