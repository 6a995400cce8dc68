"""The text-generation guides: generate, left padding for batches, decoding strategies,
`GenerationConfig` files, streaming, logits processors; reference imports vs `tfx_core`'s."""

GENERATE = """
from LIBRARY import AutoModelForCausalLM, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(MODEL, padding_side="left")
model = AutoModelForCausalLM.from_pretrained(MODEL)
model_inputs = tokenizer(["A list of colors: red, blue"], return_tensors="pt")
generated_ids = model.generate(**model_inputs)
first = tokenizer.batch_decode(generated_ids, skip_special_tokens=True)[0]

tokenizer.pad_token = tokenizer.eos_token
batch = tokenizer(
    ["A list of colors: red, blue", "Hugging Face is creating"], return_tensors="pt", padding=True
)
longer = model.generate(**batch, max_new_tokens=12)
result = {
    "first": first,
    "batch": tokenizer.batch_decode(longer, skip_special_tokens=True),
    "ids": longer,
}
"""

STRATEGIES = """
from LIBRARY import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, set_seed

tokenizer = AutoTokenizer.from_pretrained(MODEL)
model = AutoModelForCausalLM.from_pretrained(MODEL)
inputs = tokenizer("The secret to baking a really good cake is", return_tensors="pt")
outputs = {}
outputs["greedy"] = model.generate(**inputs, max_new_tokens=15)
outputs["beams"] = model.generate(
    **inputs, max_new_tokens=15, num_beams=3, num_return_sequences=2, early_stopping=True
)
outputs["penalties"] = model.generate(
    **inputs, max_new_tokens=15, repetition_penalty=1.3, no_repeat_ngram_size=2
)
outputs["bad_words"] = model.generate(
    **inputs,
    max_new_tokens=15,
    bad_words_ids=tokenizer([" the", " a"], add_special_tokens=False).input_ids,
)
set_seed(0)
outputs["sampling"] = model.generate(
    **inputs, max_new_tokens=15, do_sample=True, top_k=50, top_p=0.95, temperature=0.7
)
set_seed(1)
outputs["typical"] = model.generate(**inputs, max_new_tokens=10, do_sample=True, typical_p=0.9)

config = GenerationConfig(max_new_tokens=8, num_beams=2, eos_token_id=model.config.eos_token_id)
config.save_pretrained(SAVE_TO, "my_generation_config.json")
loaded = GenerationConfig.from_pretrained(SAVE_TO, "my_generation_config.json")
outputs["from_file"] = model.generate(**inputs, generation_config=loaded)
details = model.generate(
    **inputs, max_new_tokens=4, return_dict_in_generate=True, output_scores=True
)
result = {
    "texts": {name: tokenizer.batch_decode(ids, skip_special_tokens=True)
              for name, ids in outputs.items()},
    "scores": [step[0, :5] for step in details.scores],
    "sequences": details.sequences,
    "config": [loaded.max_new_tokens, loaded.num_beams, model.generation_config.max_length],
}
"""

STREAMING_AND_PROCESSORS = """
import contextlib
import io

from LIBRARY import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LogitsProcessorList,
    MinLengthLogitsProcessor,
    StoppingCriteriaList,
    MaxLengthCriteria,
    TextStreamer,
)

tokenizer = AutoTokenizer.from_pretrained(MODEL)
model = AutoModelForCausalLM.from_pretrained(MODEL)
inputs = tokenizer(["A list of colors"], return_tensors="pt")
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    streamer = TextStreamer(tokenizer, skip_prompt=True)
    model.generate(**inputs, streamer=streamer, max_new_tokens=10)
processors = LogitsProcessorList(
    [MinLengthLogitsProcessor(12, eos_token_id=model.generation_config.eos_token_id)]
)
criteria = StoppingCriteriaList([MaxLengthCriteria(max_length=inputs["input_ids"].shape[1] + 9)])
custom = model.generate(
    **inputs, logits_processor=processors, stopping_criteria=criteria, max_new_tokens=20
)
result = {"streamed": printed.getvalue(), "custom": custom}
"""


def test_generate_and_left_padding(check, causal_lm_model):
    expected, _ = check(GENERATE, MODEL=causal_lm_model)
    assert expected["first"].startswith("A list of colors: red, blue")


def test_decoding_strategies_and_config_files(check, causal_lm_model, tmp_path):
    expected, _ = check(STRATEGIES, MODEL=causal_lm_model, SAVE_TO=str(tmp_path))
    assert len(expected["texts"]["beams"]) == 2


def test_streaming_and_custom_processors(check, causal_lm_model):
    expected, _ = check(STREAMING_AND_PROCESSORS, MODEL=causal_lm_model)
    assert expected["streamed"].strip()
