"""inference_workers: a batch split across ONNX Runtime sessions gives the results of one session."""

from __future__ import annotations

import numpy as np
import pytest

from action_recognition.recognition import ModelSourceError, load_action_model


@pytest.fixture(scope="module")
def pair():
    return load_action_model(None, threads=1), load_action_model(None, threads=1, workers=3)


@pytest.mark.parametrize("batch", [1, 2, 3, 5, 8])
def test_split_batches_equal_one_session(pair, batch):
    one, split = pair
    assert split.backend.workers == 3 and one.backend.workers == 1
    spec = one.spec
    x = np.random.default_rng(batch).uniform(-0.5, 0.5, (batch, 1, spec.clip_len, 17, 3)).astype(np.float32)
    got = split.backend.predict(x)
    assert got.shape == (batch, spec.num_classes)
    np.testing.assert_allclose(got, one.backend.predict(x), atol=1e-5)  # per sample: batching-only rounding
    np.testing.assert_allclose(got[-1:], one.backend.predict(x[-1:]), atol=1e-5)  # order kept


def test_workers_are_checked():
    with pytest.raises(ModelSourceError, match="workers 0"):
        load_action_model(None, workers=0)
    with pytest.raises(ModelSourceError, match="more with ONNX Runtime"):
        load_action_model(None, workers=2, backend="torch")
