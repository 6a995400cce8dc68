"""The pipeline tutorial: tasks by name, batches, generators, datasets columns, options.

Each example runs with the reference's imports and again with `tfx_core` in their place.
"""

TEXT_GENERATION = """
from LIBRARY import pipeline, set_seed

generator = pipeline(task="text-generation", model=MODEL)
set_seed(42)  # this checkpoint's config (GPT-2's default) makes text-generation sample
result = [
    generator("A list of colors", max_new_tokens=6, return_full_text=False),
    generator("A list of colors: red, blue", max_new_tokens=10, do_sample=False),
    generator(
        ["Hugging Face is creating", "The secret to baking a really good cake is"],
        max_new_tokens=8,
        do_sample=False,
        num_beams=2,
        num_return_sequences=2,
    ),
]
"""

STREAMING_INPUTS = """
import datasets
from LIBRARY import pipeline
from LIBRARY.pipelines.pt_utils import KeyDataset

pipe = pipeline("fill-mask", model=MODEL, device="cpu")


def data():
    for i in range(4):
        yield f"My example number {i} is [MASK]."


dataset = datasets.Dataset.from_dict(
    {"text": ["Paris is the [MASK] of France.", "The goal of life is [MASK]."]}
)
result = {
    "generator": [out for out in pipe(data(), top_k=2)],
    "dataset": [out for out in pipe(KeyDataset(dataset, "text"), batch_size=2, top_k=3)],
    "targets": pipe("The goal of life is [MASK].", targets=["happiness", "money"]),
}
"""

TASK_OPTIONS = """
from LIBRARY import pipeline

classifier = pipeline("text-classification", model=MODEL, device_map="auto", model_kwargs={"dtype": "float32"})
result = [
    classifier.task,
    classifier("This is great!", top_k=None),
    classifier(["Good", "Bad"], function_to_apply="sigmoid"),
    classifier({"text": "A question?", "text_pair": "An answer."}),
]
"""

FEATURE_EXTRACTION = """
from LIBRARY import pipeline

extractor = pipeline("feature-extraction", model=MODEL)
result = [
    extractor("This is a simple test."),
    extractor(["Short.", "A longer sentence here."], return_tensors=True),
]
"""


def test_text_generation(check, causal_lm_model):
    expected, _ = check(TEXT_GENERATION, MODEL=causal_lm_model)
    assert expected[1][0]["generated_text"].startswith("A list of colors: red, blue")


def test_generators_and_dataset_columns(check, fill_mask_model):
    expected, _ = check(STREAMING_INPUTS, MODEL=fill_mask_model)
    assert len(expected["dataset"]) == 2 and len(expected["dataset"][0]) == 3


def test_task_inferred_and_reference_options(check, sentiment_model):
    expected, _ = check(TASK_OPTIONS, MODEL=sentiment_model)
    assert expected[0] == "text-classification"


def test_feature_extraction(check, minilm):
    check(FEATURE_EXTRACTION, MODEL=minilm)
