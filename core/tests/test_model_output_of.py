"""`ModelOutput.of(values)`: the same object as `cls(**values)`, built faster."""

import pickle
from dataclasses import dataclass, field

import pytest

from tfx_core.modeling import outputs


@pytest.mark.parametrize(
    "cls",
    [outputs.BaseModelOutputWithPoolingAndPast, outputs.SequenceClassifierOutput],
)
def test_of_builds_what_the_constructor_builds(cls):
    values = {"hidden_states": None, "attentions": (1, 2)}
    values[next(iter(cls.__dataclass_fields__))] = [3.0]
    expected, built = cls(**values), cls.of(values)
    assert type(built) is cls
    assert list(built.items()) == list(expected.items())  # non-None fields, declared order
    assert built.__dict__ == expected.__dict__  # every field an attribute, None ones too
    assert built.to_tuple() == expected.to_tuple() and repr(built) == repr(expected)
    assert built[0] == [3.0] and built.hidden_states is None and "hidden_states" not in built
    assert pickle.loads(pickle.dumps(built)) == expected
    built.loss = 5.0  # still assignable like the constructor's object
    assert built["loss"] == 5.0


def test_of_refuses_unknown_fields_like_the_constructor():
    with pytest.raises(TypeError, match="bogus"):
        outputs.SequenceClassifierOutput.of({"bogus": 1})


def test_of_falls_back_to_the_constructor_for_other_defaults():
    @dataclass(repr=False, eq=False)
    class WithDefault(outputs.ModelOutput):
        logits: object = None
        extra: list = field(default_factory=list)

    built = WithDefault.of({"logits": 1})
    assert built.extra == [] and list(built) == ["logits", "extra"]
