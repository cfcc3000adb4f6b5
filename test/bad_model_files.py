"""Model files gone wrong as users meet them: cut downloads, random bytes, foreign ONNX models."""

from __future__ import annotations

from pathlib import Path

import torch


def bad_model_files(folder: Path, good: Path) -> dict[str, Path]:
    """One file per defect, named after it; `good` is a valid checkpoint to cut short."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "truncated.pth": good.read_bytes()[: good.stat().st_size // 3],
        "empty.pth": b"",
        "random.pth": bytes(range(256)) * 20,
        "corrupt.onnx": b"\x08\x07" + bytes(range(200, 256)) * 40,
    }
    out = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out[name] = folder / name

    class Mean(torch.nn.Module):  # valid ONNX, but not our export: no spec metadata, a 2-D input
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.mean(dim=1)

    out["foreign.onnx"] = folder / "foreign.onnx"
    torch.onnx.export(Mean(), torch.zeros(1, 10), out["foreign.onnx"], dynamo=False)
    return out
