"""A trivial plugin-provided pipeline task (echoes its inputs), built on tfx's Pipeline base."""

from tfx_core.pipelines import Pipeline


class EchoPipeline(Pipeline):
    task = "toy-echo"

    def preprocess(self, item):
        return {"text": item}

    def _forward(self, model_inputs):
        return {}

    def postprocess(self, chunks):
        return chunks[0]["text"]
