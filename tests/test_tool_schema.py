# ruff: noqa: UP006, UP007, UP045  (the typing.List / Union / Optional spellings are under test)
"""Tools as Python functions: `get_json_schema` and `apply_chat_template(tools=[func, ...])`.

Every function below goes through tfx's `get_json_schema` and the reference's
`transformers.utils.get_json_schema`: the schemas must be equal, key order included (templates
render them with `tojson`). Functions the reference refuses must raise tfx's typed errors. Last,
the Qwen2.5 and Llama-3.1 tool-use templates (public template text, kept here as data) render the
same prompt with tfx and the reference when tools are functions mixed with JSON-schema dicts.
"""

import enum
import json
import re
import typing
from pathlib import Path
from typing import Any, Literal, Optional, Union

import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("jinja2")
torch = pytest.importorskip("torch")
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers.utils import get_json_schema as reference_schema  # noqa: E402

import tfx_core  # noqa: E402
from tfx_core import AutoTokenizer  # noqa: E402
from tfx_core.errors import (  # noqa: E402
    DocstringParsingError,
    TokenizerError,
    TypeHintParsingError,
)
from tfx_core.tokenization.tool_schema import get_json_schema  # noqa: E402


# ============================================================ functions that convert
def get_weather(location: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather in a given location.

    Args:
        location: The city and country, e.g. "Paris, France"
        unit: The unit to return the temperature in

    Returns:
        The weather, as a sentence.
    """
    return location


def add(x: int, y: float = 1.0) -> float:
    """Add two numbers.

    Args:
        x: The first number
        y: The second number
    """
    return x + y


def scalars(text: str, flag: bool, nothing: None, anything: Any, *, count: int = 3):
    """Take one value of each simple type.

    Args:
        text: Some text
        flag: A switch
        nothing: Always None
        anything: Whatever you like
        count: How many
    """


def containers(
    numbers: list[int],
    plain_list: list,
    names: typing.List[str],
    table: dict[str, int],
    plain_dict: dict,
    nested: typing.Dict[str, list[float]],
    pair: tuple[int, str],
    plain_tuple: tuple,
    triple: typing.Tuple[int, float, bool],
):
    """Containers of all kinds.

    Args:
        numbers: integers
        plain_list: a list without item type
        names: names
        table: a mapping
        plain_dict: a dict without types
        nested: lists of floats by key
        pair: an int and a string
        plain_tuple: a tuple without item types
        triple: three values
    """


def unions(
    a: Union[int, str],
    b: Optional[int],
    c: int | None,
    d: str | list[int],
    e: Union[list[int], dict[str, int], None],
    f: Union[Literal["x", 1], int],
    g: Optional[Any] = None,
):
    """Unions, optional values and the `X | Y` syntax.

    Args:
        a: int or str
        b: maybe an int
        c: maybe an int, new syntax
        d: a string or integers
        e: a list, a dict or nothing
        f: a literal or an int
        g: anything or nothing
    """


def literals(mode: Literal[1, "two", None, True, 2.5], level: Literal[3, 4]):
    """Literal values of several types.

    Args:
        mode: The mode
        level: The level
    """


def drink(beverage: str, size: str = "small", sweet: bool = False):
    """Drink a beverage.

    Args:
        beverage: The beverage to drink (choices: ["tea", "coffee"])
        size: The cup size (Choices:   [" small ", "large"])
        sweet: Add sugar (choices are not listed here)
    """


def long_texts(query: str, limit: int = 10) -> list[str]:
    """Search the web
    for pages about a query, over several lines.

    The description keeps its paragraphs.

    Args:
        query: The text to search for. It can be long,
            and its description continues here
                with deeper indentation.

        limit: At most this many results

    Returns:
        The page titles,
        one per result.

    Raises:
        ValueError: if the query is empty
    """
    return []


def deep(
    records: list[dict[str, tuple[int, str]]], grid: dict[str, list[Optional[int]]]
) -> dict[str, Any]:
    """Nested containers.

    Args:
        records: rows of pairs
        grid: columns of optional ints
    """
    return {}


class Point:
    """A custom class (converted to a JSON object)."""


def custom_and_frameworks(point: Point, samples: torch.Tensor, note: "str") -> None:
    """Custom classes and framework types.

    Args:
        point: A point
        samples: An audio waveform
        note: A forward-referenced string
    """


try:
    from PIL import Image as PILImage
except ImportError:  # Pillow is optional: without it the image case is left out
    PILImage = None


def with_image(picture: "PILImage.Image", caption: str = "") -> None:
    """An image argument (the reference's "image" type when Pillow is installed).

    Args:
        picture: The picture
        caption: Its caption
    """


def empty_description(first: int, second: int, third: int):
    """An argument line with nothing after its colon takes the next line as its text.

    Args:
        first:
        second: this line is the description of first
        third: the third
        second: the second, given again
    """


def variadic(*values: int, **options: str) -> None:
    """Variadic arguments.

    Args:
        values: the values
        options: the options
    """


def no_arguments() -> bool:
    """Nothing to pass.

    Returns:
        Always true.
    """
    return True


def unicode_text(ville: str) -> None:
    """Météo d'une ville — en °C.

    Args:
        ville: Le nom de la ville (ex. « Zürich »)
    """


def returns_without_hint(x: int):
    """A Returns section without a return hint is ignored.

    Args:
        x: a number

    Returns:
        Nothing useful.
    """


def section_words_inline(x: int):
    """The description stops at the first section word, even inline: see Returns: below.

    Args:
        x: a number
    """


class Calculator:
    """Holds tool methods."""

    def multiply(self, a: float, b: float = 2.0) -> float:
        """Multiply two numbers.

        Args:
            a: The first factor
            b: The second factor
        """
        return a * b

    @staticmethod
    def negate(a: int) -> int:
        """Negate a number.

        Args:
            a: The number
        """
        return -a

    @classmethod
    def build(cls, name: str) -> None:
        """Build a calculator.

        Args:
            name: Its name
        """


CONVERTIBLE = [
    get_weather,
    add,
    scalars,
    containers,
    unions,
    literals,
    drink,
    long_texts,
    deep,
    custom_and_frameworks,
    empty_description,
    variadic,
    no_arguments,
    unicode_text,
    returns_without_hint,
    section_words_inline,
    Calculator().multiply,
    Calculator.negate,
    Calculator.build,
    *([with_image] if PILImage is not None else []),
]


@pytest.mark.parametrize("func", CONVERTIBLE, ids=lambda f: f.__qualname__)
def test_schema_matches_reference(func):
    ours = get_json_schema(func)
    theirs = reference_schema(func)
    assert ours == theirs
    assert json.dumps(ours) == json.dumps(theirs)  # same key order, as templates print them


def test_schema_details():
    """A few values spelled out, so a shared mistake with the reference would still show."""
    weather = get_json_schema(get_weather)["function"]
    assert weather["parameters"]["required"] == ["location"]
    assert weather["parameters"]["properties"]["unit"] == {
        "type": "string",
        "enum": ["celsius", "fahrenheit"],
        "description": "The unit to return the temperature in",
    }
    assert weather["return"] == {"type": "string", "description": "The weather, as a sentence."}
    drink_args = get_json_schema(drink)["function"]["parameters"]["properties"]
    assert drink_args["size"]["enum"] == ["small", "large"]
    assert drink_args["sweet"]["description"] == "Add sugar (choices are not listed here)"
    union_args = get_json_schema(unions)["function"]["parameters"]["properties"]
    assert union_args["d"] == {"type": ["array", "string"], "description": "a string or integers"}
    assert union_args["c"]["nullable"] is True
    texts = get_json_schema(long_texts)["function"]
    assert texts["parameters"]["properties"]["query"]["description"].endswith(
        "continues here with deeper indentation."
    )
    first = get_json_schema(empty_description)["function"]["parameters"]["properties"]["first"]
    assert first["description"] == "second: this line is the description of first"
    assert tfx_core.get_json_schema is get_json_schema


# ============================================================ functions that do not
def no_docstring(x: int):
    return x


def undocumented_argument(x: int, y: int):
    """Only x is described.

    Args:
        x: a number
    """


def typed_in_docstring(x: int):
    """Arguments written `name (type): text` are not recognised.

    Args:
        x (int): a number
    """


def unhinted(x, y: int):
    """Missing a hint.

    Args:
        x: a value
        y: a number
    """


def one_tuple(x: tuple[int]):
    """One-element tuple.

    Args:
        x: a tuple
    """


def open_tuple(x: tuple[int, ...]):
    """Variable-length tuple.

    Args:
        x: a tuple
    """


def a_set(x: set[int]):
    """A set.

    Args:
        x: values
    """


class Color(enum.Enum):
    RED = "red"


def enum_literal(x: Literal[Color.RED]):
    """A Literal of an enum member.

    Args:
        x: a color
    """


def union_with_any(x: Union[int, Any, None]):
    """Any inside a union of several types.

    Args:
        x: a value
    """


def bad_choices(x: str):
    """Choices that are not JSON.

    Args:
        x: a value (choices: [tea, coffee])
    """


def number_choices(x: int):
    """Choices that are not strings.

    Args:
        x: a value (choices: [1, 2])
    """


def unresolvable(x: "NoSuchType"):  # noqa: F821
    """A forward reference to nothing.

    Args:
        x: a value
    """


REFUSED = [
    (no_docstring, DocstringParsingError, "DocstringParsingException"),
    (undocumented_argument, DocstringParsingError, "DocstringParsingException"),
    (typed_in_docstring, DocstringParsingError, "DocstringParsingException"),
    (unhinted, TypeHintParsingError, "TypeHintParsingException"),
    (one_tuple, TypeHintParsingError, "TypeHintParsingException"),
    (open_tuple, TypeHintParsingError, "TypeHintParsingException"),
    (a_set, TypeHintParsingError, "TypeHintParsingException"),
    (enum_literal, TypeHintParsingError, "TypeHintParsingException"),
    (union_with_any, TypeHintParsingError, "KeyError"),
    (bad_choices, DocstringParsingError, "JSONDecodeError"),
    (number_choices, DocstringParsingError, "AttributeError"),
    (unresolvable, TypeHintParsingError, "NameError"),
]


@pytest.mark.parametrize(
    ("func", "error", "reference_error"),
    REFUSED,
    ids=[case[0].__qualname__ for case in REFUSED],  # stable ids (xdist compares them)
)
def test_refused_where_the_reference_refuses(func, error, reference_error):
    with pytest.raises(Exception) as theirs:
        reference_schema(func)
    assert type(theirs.value).__name__ == reference_error
    with pytest.raises(error) as ours:
        get_json_schema(func)
    assert isinstance(ours.value, TokenizerError) and isinstance(ours.value, ValueError)
    assert (
        func.__name__ in str(ours.value)
        or "Literal" in str(ours.value)
        or "hint" in str(ours.value)
    )


def test_error_messages_say_what_to_fix():
    with pytest.raises(DocstringParsingError, match=re.escape("Add a 'y: ...' line under 'Args:'")):
        get_json_schema(undocumented_argument)
    with pytest.raises(TypeHintParsingError, match="annotate every argument"):
        get_json_schema(unhinted)
    with pytest.raises(TypeHintParsingError, match=r"use list\[\.\.\.\]"):
        get_json_schema(open_tuple)
    with pytest.raises(DocstringParsingError, match="JSON list of strings"):
        get_json_schema(bad_choices)


# ============================================================ chat templates with tools
TEMPLATES = Path(__file__).parent / "chat_templates"
# Qwen2.5-Instruct's tokenizer_config.json "chat_template" (public text).
QWEN25 = (TEMPLATES / "qwen2_5_tools.jinja").read_text(encoding="utf-8")

# Llama-3.1-Instruct's chat template (public text; its builtin-tools lines left out): tools as
# indented JSON in the first user turn.
LLAMA31 = (TEMPLATES / "llama3_1_tools.jinja").read_text(encoding="utf-8")

SPECIALS = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|start_header_id|>"]
SPECIALS += ["<|end_header_id|>", "<|eot_id|>"]
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web — returns °C too",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}
CHAT = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is the weather in Paris, and what is 3 + 4?"},
    {
        "role": "assistant",
        "tool_calls": [
            {"type": "function", "function": {"name": "add", "arguments": {"x": 3, "y": 4}}}
        ],
    },
    {"role": "tool", "name": "add", "content": "7"},
]


@pytest.fixture(scope="module", params=["qwen2.5", "llama3.1"])
def tool_tokenizers(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"tools-{request.param}")
    vocab = {token: index for index, token in enumerate([*SPECIALS, "Paris", "weather"])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.add_special_tokens(SPECIALS)
    backend.save(str(folder / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "chat_template": QWEN25 if request.param == "qwen2.5" else LLAMA31,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return (
        request.param,
        AutoTokenizer.from_pretrained(folder),
        transformers.AutoTokenizer.from_pretrained(folder),
    )


@pytest.mark.parametrize("generation_prompt", [True, False])
def test_function_tools_render_as_reference(tool_tokenizers, generation_prompt):
    name, ours, theirs = tool_tokenizers
    tools = [get_weather, SEARCH_TOOL, add, long_texts, unions]
    chat = CHAT if name == "qwen2.5" else CHAT[:2]
    options = dict(tools=tools, add_generation_prompt=generation_prompt)
    text = ours.apply_chat_template(chat, tokenize=False, **options)
    assert text == theirs.apply_chat_template(chat, tokenize=False, **options)
    assert '"name": "add"' in text and '"description": "Add two numbers."' in text
    assert ours.apply_chat_template(chat, **options) == theirs.apply_chat_template(chat, **options)


def test_tools_other_than_dicts_and_functions_are_refused(tool_tokenizers):
    _, ours, theirs = tool_tokenizers
    chat = CHAT[:2]
    for bad in (Calculator().multiply, 42):
        with pytest.raises(ValueError):
            theirs.apply_chat_template(chat, tools=[bad], tokenize=False)
        with pytest.raises(TokenizerError, match="get_json_schema"):
            ours.apply_chat_template(chat, tools=[bad], tokenize=False)
    with pytest.raises(DocstringParsingError):
        ours.apply_chat_template(chat, tools=[no_docstring], tokenize=False)
