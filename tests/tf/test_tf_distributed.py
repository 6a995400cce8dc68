"""`fit()` under `tf.distribute.MirroredStrategy` on two logical CPUs.

Logical devices must be configured before TensorFlow initialises its runtime, which the other
tests of this process have done, so the run happens in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent(
    """
    import json, os
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import keras
    from tfx_plugin_bert.configuration_bert import BertConfig
    from tfx_plugin_bert.modeling_tf_bert import TFBertForSequenceClassification

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    config = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=37, num_labels=2)
    with strategy.scope():
        model = TFBertForSequenceClassification.from_config(config)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    ids = np.random.RandomState(0).randint(3, 97, (16, 8)).astype("int32")
    data = tf.data.Dataset.from_tensor_slices(
        {"input_ids": ids, "labels": (ids[:, 0] > 50).astype("int32")}
    ).batch(8)
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(data, epochs=2, verbose=0)
    changed = any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    print(json.dumps({"replicas": strategy.num_replicas_in_sync,
                      "loss": history.history["loss"], "changed": changed}))
    """
)


def test_fit_under_mirrored_strategy_on_two_cpus():
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert all(np.isfinite(v) for v in result["loss"]) and result["changed"]
