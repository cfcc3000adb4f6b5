"""DDP with torchrun: two CPU processes on the gloo backend train one model in lockstep."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
from training_testdata import make_tiny_dataset, tiny_overrides

from action_recognition.model import load_checkpoint

# Runs in each torchrun process: train, then write this rank's parameters for comparison.
RANK_SCRIPT = """
import os, sys, torch
from action_recognition.training.config import load_config
from action_recognition.training.trainer import Trainer
trainer = Trainer(load_config(None, sys.argv[2:]))
result = trainer.fit()
torch.save({k: v.detach().clone() for k, v in trainer.model.state_dict().items()},
           os.path.join(sys.argv[1], f"rank{os.environ['RANK']}.pt"))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_processes_stay_in_sync(tmp_path) -> None:
    data = make_tiny_dataset(tmp_path / "tiny.pkl", {"train": 32, "val": 8, "test": 8})
    script = tmp_path / "rank_main.py"
    script.write_text(RANK_SCRIPT)
    run = tmp_path / "run"
    args = tiny_overrides(data, run, "epochs=2", "batch_size=4", "device=cpu")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--nnodes=1",
           f"--master_port={free_port()}", "--master_addr=127.0.0.1", str(script), str(tmp_path), *args]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    # gradients are averaged across the ranks, so the weights agree (BN running stats are per rank)
    for key, value in rank0.items():
        if "running_" in key or "num_batches" in key:
            continue
        torch.testing.assert_close(value, rank1[key], rtol=0, atol=1e-6, msg=key)
    # each rank took half of the 32 samples: 16 / batch 4 = 4 steps per epoch, 2 epochs
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [4, 8]
    assert "world 2" in proc.stdout
    # only rank 0 wrote the run folder; its checkpoint holds the synchronised weights
    saved = load_checkpoint(run / "latest.pth").model.state_dict()
    assert torch.equal(saved["cls_head.fc_cls.weight"], rank0["cls_head.fc_cls.weight"])
    assert Path(run / "test_metrics.json").exists()
