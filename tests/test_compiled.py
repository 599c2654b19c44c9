"""``saferag.compiled``: OpenVINO models on one process-wide Core, each with its compiled blob in its own folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ov = pytest.importorskip("openvino", reason="the compiled runtime needs OpenVINO")

from saferag.compiled import CompiledModel, core  # noqa: E402


def tiny_model(xml: Path, seed: int) -> np.ndarray:
    """Save a one-layer model (x @ w, then ReLU) as IR at ``xml``; returns ``w``."""
    import openvino.opset13 as ops

    w = np.random.default_rng(seed).standard_normal((8, 4)).astype(np.float32)
    x = ops.parameter([2, 8], np.float32, name="x")
    ov.save_model(ov.Model([ops.relu(ops.matmul(x, ops.constant(w), False, False))], [x]), str(xml),
                  compress_to_fp16=False)  # float32 weights, as saferag saves them
    return w


def test_models_share_one_core_and_keep_their_compiled_blobs_apart(tmp_path):
    """One Core for every model (OpenVINO's advice; a Core per model reloads the plugins each time), while each
    model's compiled blob still goes to its own folder, which its cache entry owns."""
    x = np.arange(16, dtype=np.float32).reshape(2, 8) / 10
    models = []
    for seed, name in enumerate(("a", "b")):
        (tmp_path / name).mkdir()
        w = tiny_model(tmp_path / name / "model.xml", seed)
        model = CompiledModel(tmp_path / name / "model.xml", precision="float32")
        np.testing.assert_allclose(model.run({"x": x}), np.maximum(x @ w, 0), rtol=1e-5, atol=1e-5)
        models.append(model)
        assert [p.suffix for p in (tmp_path / name / "compiled").iterdir()] == [".blob"]
    assert core() is core() and not core().get_property("CACHE_DIR")  # no folder set on the shared Core
    again = CompiledModel(tmp_path / "a" / "model.xml", precision="float32")  # read back from its blob
    np.testing.assert_array_equal(again.run({"x": x}), models[0].run({"x": x}))
    assert len(list((tmp_path / "a" / "compiled").iterdir())) == 1
