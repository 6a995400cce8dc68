"""Claims 'tfx-shared', which tfx-test-toy also claims."""

from tfx_core.plugins import ArchitectureSpec, hookimpl


@hookimpl
def tfx_architectures():
    return [
        ArchitectureSpec(
            model_type="tfx-shared",
            config_class="tfx_test_toyfork.configuration:ForkConfig",
        )
    ]
