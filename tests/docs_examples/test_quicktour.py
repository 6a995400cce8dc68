"""The quick tour: a pipeline, the Auto classes, saving and reloading, a custom config.

Each example is run as written for the reference and again with `transformers` replaced by
`tfx_core` in its imports (nothing else changes); the results must be the same.
"""

PIPELINE = """
from LIBRARY import pipeline

classifier = pipeline("sentiment-analysis", model=MODEL)
result = [
    classifier("We are very happy to show you the library."),
    classifier(["We are very happy to show you the library.", "We hope you don't hate it."]),
]
"""

AUTO_CLASSES = """
import torch
from LIBRARY import AutoModelForSequenceClassification, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(MODEL)
model = AutoModelForSequenceClassification.from_pretrained(MODEL)
encoding = tokenizer("We are very happy to show you the library.")
batch = tokenizer(
    ["We are very happy to show you the library.", "We hope you don't hate it."],
    padding=True,
    truncation=True,
    max_length=512,
    return_tensors="pt",
)
outputs = model(**batch)
predictions = torch.nn.functional.softmax(outputs.logits, dim=-1)
labels = [model.config.id2label[i] for i in predictions.argmax(dim=-1).tolist()]

tokenizer.save_pretrained(SAVE_TO)
model.save_pretrained(SAVE_TO)
reloaded = AutoModelForSequenceClassification.from_pretrained(SAVE_TO)
again = reloaded(**AutoTokenizer.from_pretrained(SAVE_TO)(["We hope you don't hate it."],
                                                          return_tensors="pt"))
result = {
    "encoding": dict(encoding),
    "batch": {key: value.tolist() for key, value in batch.items()},
    "predictions": predictions,
    "labels": labels,
    "reloaded": again.logits,
}
"""

CUSTOM_CONFIG = """
from LIBRARY import AutoConfig, AutoModel

my_config = AutoConfig.from_pretrained(MODEL, num_attention_heads=8)
my_model = AutoModel.from_config(my_config)
result = {
    "heads": my_config.num_attention_heads,
    "hidden": my_config.hidden_size,
    "parameters": my_model.num_parameters(),
    "trainable": my_model.num_parameters(only_trainable=True),
}
"""


def test_pipeline(check, sentiment_model):
    expected, _ = check(PIPELINE, MODEL=sentiment_model)
    assert expected[0][0]["label"] in ("NEGATIVE", "POSITIVE")


def test_auto_classes_and_saving(check, sentiment_model, tmp_path):
    check(AUTO_CLASSES, MODEL=sentiment_model, SAVE_TO=str(tmp_path))


def test_custom_config(check, minilm):
    expected, _ = check(CUSTOM_CONFIG, MODEL=minilm)
    assert expected["heads"] == 8
