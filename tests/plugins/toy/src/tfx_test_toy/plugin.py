"""Entry module of the toy fixture plugin: specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TaskSpec, hookimpl


@hookimpl
def tfx_architectures():
    return [
        ArchitectureSpec(
            model_type="tfx-toy",
            config_class="tfx_test_toy.configuration:ToyConfig",
            heads=(
                HeadSpec("base", "ToyModel", {"pt": "tfx_test_toy.modeling:ToyModel"}),
                HeadSpec(
                    "sequence-classification",
                    "ToyForSequenceClassification",
                    {"pt": "tfx_test_toy.modeling:ToyForSequenceClassification"},
                ),
            ),
            description="two-layer toy encoder used by tfx's tests",
        ),
        # Also claimed by tfx-test-toyfork: the conflict-policy fixture.
        ArchitectureSpec(
            model_type="tfx-shared",
            config_class="tfx_test_toy.configuration:SharedConfig",
        ),
    ]


@hookimpl
def tfx_tasks():
    return [
        TaskSpec(
            name="toy-echo",
            pipeline_class="tfx_test_toy.pipeline:EchoPipeline",
            heads=("base",),
            description="a plugin-provided task",
        )
    ]
