"""A trivial plugin-provided pipeline task (echoes its inputs)."""


class EchoPipeline:
    task = "toy-echo"

    def __init__(self, *args, **kwargs):
        self.kwargs = kwargs

    def __call__(self, inputs, **kwargs):
        return inputs
