"""The training loop: PYSKL's recipe on one CPU/GPU or several processes (torchrun DDP).

Every epoch: train, validate (top-1, top-5, mean class accuracy), write epoch_NNN.pth + latest.pth
(resumable) and best.pth (weights only, by validation top-1). At the end: multi-clip test of the
best weights, confusion matrix, plots. Only rank 0 validates, tests and writes files.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from action_recognition.model.checkpoint import CheckpointError, build_model, load_checkpoint
from action_recognition.model.spec import ModelSpec
from action_recognition.training import distributed as ddp
from action_recognition.training.augment import PlacementConfig
from action_recognition.training.checkpoints import (
    copy_checkpoint,
    load_pretrained,
    read_training_state,
    save_training_checkpoint,
)
from action_recognition.training.config import TrainConfig
from action_recognition.training.data_setup import PreparedData, prepare_data
from action_recognition.training.dataset import SkeletonClipDataset
from action_recognition.training.distill import distillation_loss, load_teacher
from action_recognition.training.evaluation import evaluate_samples
from action_recognition.training.run_dir import TEST_SCORES, RunWriter, save_scores

LATEST = "latest.pth"
BEST = "best.pth"


def cosine_factor(step: int, total: int, min_ratio: float = 0.0, warmup: int = 0) -> float:
    """LR multiplier: linear warm-up, then cosine from 1 to `min_ratio` at `total` steps."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class Trainer:
    """Build everything from a `TrainConfig`; `fit()` runs training, validation and the final test."""

    def __init__(self, cfg: TrainConfig, data: PreparedData | None = None) -> None:
        self.cfg = cfg
        if cfg.threads:
            torch.set_num_threads(int(cfg.threads))
        self.dist, self.device = ddp.init_distributed(cfg.device)
        self.is_main = self.dist.is_main
        if data is None:
            # rank 0 first: it may generate the synthetic data file the others then read
            if self.is_main:
                data = prepare_data(cfg.data)
            ddp.barrier(self.dist)
            if data is None:
                data = prepare_data(cfg.data)
        self.data = data
        arch = dict(cfg.model.arch)
        if cfg.model.dropout > 0:
            arch["dropout"] = cfg.model.dropout
        self.spec: ModelSpec = dataclasses.replace(data.spec, arch=arch)
        self.work_dir = Path(cfg.work_dir)
        self.amp = bool(cfg.amp and self.device.type == "cuda")

        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed % 2**32)
        self.model = build_model(self.spec).to(self.device)
        self.finetune_info: dict[str, Any] | None = None
        if cfg.model.pretrained:
            self.finetune_info = load_pretrained(self.model, cfg.model.pretrained, cfg.model.reinit_head,
                                                 trusted=cfg.model.pretrained_trusted)
            self.model.to(self.device)
        self.teacher: nn.Module | None = None
        if cfg.distill is not None:
            self.teacher = load_teacher(cfg.distill.teacher, self.spec).to(self.device)

        self.train_set = SkeletonClipDataset(data.train, self.spec, train=True, seed=cfg.seed,
                                             repeat=cfg.data.repeat, p_interval=tuple(cfg.data.p_interval),
                                             placement=cfg.data.placement,
                                             placement_cfg=PlacementConfig(scale=tuple(cfg.data.placement_scale)),
                                             cut=cfg.data.cut)
        self.sampler = DistributedSampler(self.train_set, num_replicas=self.dist.world_size,
                                          rank=self.dist.rank, shuffle=True, seed=cfg.seed)
        per_rank = len(self.sampler)
        self.loader = DataLoader(self.train_set, batch_size=cfg.batch_size, sampler=self.sampler,
                                 num_workers=cfg.workers, drop_last=per_rank > cfg.batch_size,
                                 pin_memory=self.device.type == "cuda")
        self.steps_per_epoch = len(self.loader)
        self.total_steps = self.steps_per_epoch * cfg.epochs
        o = cfg.optim
        self.lr = o.lr * cfg.batch_size * self.dist.world_size / o.lr_batch  # PYSKL: linear scaling
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.lr, momentum=o.momentum,
                                         nesterov=o.nesterov, weight_decay=o.weight_decay)
        min_ratio = o.min_lr / self.lr
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: cosine_factor(s, self.total_steps, min_ratio, o.warmup_iters))
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.net: nn.Module = self.model
        if self.dist.enabled:
            self.net = DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)

        self.start_epoch = 0
        self.step = 0
        self.best: dict[str, Any] = {"top1": -1.0, "epoch": None}
        self.writer = RunWriter(self.work_dir, cfg.tensorboard) if self.is_main else None
        self._resume()
        if self.writer is not None:
            self.writer.write_setup(cfg, data.classes)

    # ------------------------------------------------------------------ state
    def _resume(self) -> None:
        path = self.cfg.resume
        if not path:
            return
        if path == "auto":
            path = str(self.work_dir / LATEST)
            if not Path(path).exists():
                return
        state_dict, state, _ = read_training_state(path)
        self.model.load_state_dict(state_dict)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        _set_rng_state(state["rng"])
        self.start_epoch, self.step, self.best = int(state["epoch"]), int(state["step"]), dict(state["best"])
        if self.writer is not None:
            self.writer.load_history()
        self._log(f"resumed from {path}: {self.start_epoch} epoch(s) done, step {self.step}")

    def _training_state(self, epoch: int) -> dict[str, Any]:
        return {"epoch": epoch, "step": self.step, "best": self.best,
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(),
                "rng": _rng_state()}

    def _meta(self, epoch: int, val: dict[str, Any] | None) -> dict[str, Any]:
        return {"epoch": epoch, "step": self.step, "val": val, "config": self.cfg.to_dict(),
                "classes": list(self.data.classes), "finetuned_from": self.cfg.model.pretrained,
                "info": dict(self.cfg.info)}

    def _log(self, text: str) -> None:
        if self.is_main:
            print(text, flush=True)

    # ------------------------------------------------------------------ loop
    def _train_epoch(self, epoch: int) -> tuple[dict[str, Any], bool, bool]:
        """One pass over the training data; returns (record, epoch_complete, stop)."""
        self.sampler.set_epoch(epoch)
        self.train_set.set_epoch(epoch)
        self.net.train()
        bar = None
        if self.cfg.progress and self.is_main:
            from tqdm import tqdm

            bar = tqdm(total=self.steps_per_epoch, desc=f"epoch {epoch + 1}/{self.cfg.epochs}", leave=False,
                       mininterval=1.0 if sys.stderr.isatty() else 30.0)
        loss_sum, ce_sum, correct, seen, batches = 0.0, 0.0, 0, 0, 0
        t0 = time.perf_counter()
        stop = False
        for clips, labels in self.loader:
            x = clips.to(self.device, non_blocking=True)
            y = labels.to(self.device, non_blocking=True)
            with torch.autocast(self.device.type, enabled=self.amp):
                logits = self.net(x)
                if self.teacher is None:
                    loss = nn.functional.cross_entropy(logits.float(), y)
                    ce = loss.detach()
                else:
                    with torch.no_grad():
                        taught = self.teacher(x)
                        ce = nn.functional.cross_entropy(logits.detach().float(), y)
                    loss = distillation_loss(logits, taught, y, self.cfg.distill.weight,
                                             self.cfg.distill.temperature)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            self.step += 1
            batches += 1
            value = float(loss.detach())
            loss_sum += value * len(y)
            ce_sum += float(ce) * len(y)
            correct += int((logits.detach().argmax(1) == y).sum())
            seen += len(y)
            if self.writer is not None and self.step % self.cfg.log_every == 0:
                self.writer.scalar("step/loss", value, self.step)
                self.writer.scalar("step/lr", self.optimizer.param_groups[0]["lr"], self.step)
            if bar is not None:
                bar.set_postfix(loss=f"{value:.3f}", refresh=False)
                bar.update(1)
            elif self.is_main and self.step % self.cfg.log_every == 0:
                took = time.perf_counter() - t0
                self._log(f"  epoch {epoch + 1} step {batches}/{self.steps_per_epoch} loss {value:.4f} "
                          f"({took / batches:.2f} s/step)")
            if self.cfg.max_steps is not None and self.step >= self.cfg.max_steps:
                stop = True
                break
        if bar is not None:
            bar.close()
        elapsed = time.perf_counter() - t0
        complete = batches == self.steps_per_epoch
        record = {
            "epoch": epoch + 1, "step": self.step,
            "train_loss": ddp.all_reduce_mean(loss_sum / max(seen, 1), self.dist, self.device),
            # the labels' cross-entropy alone: train_loss with a teacher is the distillation loss, so
            # this is the column to compare between distilled and plain runs
            "train_ce": ddp.all_reduce_mean(ce_sum / max(seen, 1), self.dist, self.device),
            "train_top1": ddp.all_reduce_mean(correct / max(seen, 1), self.dist, self.device),
            "lr": self.optimizer.param_groups[0]["lr"], "time_s": round(elapsed, 2),
            "samples_per_s": round(seen * self.dist.world_size / max(elapsed, 1e-9), 2),
        }
        if not complete:
            record["partial"] = True
        return record, complete, stop

    def _validate(self) -> dict[str, Any] | None:
        if not self.data.val:
            return None
        out = evaluate_samples(self.model, self.data.val, self.spec, 1, self.device, self.cfg.batch_size,
                               self.cfg.workers, self.amp)
        return out["metrics"]

    def _save_epoch(self, epoch: int, val: dict[str, Any] | None) -> None:
        improved = val is not None and val["top1"] > self.best["top1"]
        if improved or (val is None):
            self.best = {"top1": val["top1"] if val else -1.0, "epoch": epoch}
        path = self.work_dir / f"epoch_{epoch:03d}.pth"
        save_training_checkpoint(path, self.model, self.spec, self._meta(epoch, val),
                                 self._training_state(epoch))
        copy_checkpoint(path, self.work_dir / LATEST)
        if improved or val is None:
            save_training_checkpoint(self.work_dir / BEST, self.model, self.spec, self._meta(epoch, val))
        per_epoch = sorted(self.work_dir.glob("epoch_*.pth"))
        keep = self.cfg.keep_checkpoints
        for old in per_epoch[:len(per_epoch) - keep] if keep else per_epoch:
            old.unlink()

    def fit(self) -> dict[str, Any]:
        cfg = self.cfg
        self._log(f"training {len(self.data.train)} samples x{cfg.data.repeat} on {self.device} "
                  f"(world {self.dist.world_size}, batch {cfg.batch_size}/process, lr {self.lr:g}, "
                  f"{self.steps_per_epoch} steps/epoch, {cfg.epochs} epochs) -> {self.work_dir}")
        if self.finetune_info:
            self._log(f"fine-tuning from {cfg.model.pretrained}: {self.finetune_info}")
        if cfg.distill is not None:
            members = len(getattr(self.teacher, "members", [None]))
            self._log(f"distilling from {cfg.distill.teacher} ({members} model(s)): "
                      f"weight {cfg.distill.weight:g}, temperature {cfg.distill.temperature:g}")
        t_start = time.perf_counter()
        for epoch in range(self.start_epoch, cfg.epochs):
            record, complete, stop = self._train_epoch(epoch)
            if self.is_main:
                last = epoch + 1 == cfg.epochs or stop
                val = self._validate() if ((epoch + 1) % cfg.val_every == 0 or last) else None
                if val is not None:
                    record.update({f"val_{k}": v for k, v in val.items() if k != "num_clips"})
                if complete:
                    self._save_epoch(epoch + 1, val)
                self.writer.log_epoch(record)
                self._log(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in record.items()))
            ddp.barrier(self.dist)
            if stop:
                break
        result: dict[str, Any] = {"work_dir": str(self.work_dir), "steps": self.step,
                                  "train_time_s": round(time.perf_counter() - t_start, 1), "best": self.best}
        if self.is_main:
            result["test"] = self._final_test()
            self.writer.close()
        ddp.barrier(self.dist)
        ddp.shutdown(self.dist)
        return result

    def _final_test(self) -> dict[str, Any] | None:
        """Multi-clip test of the best weights (the last ones when nothing was saved)."""
        best = self.work_dir / BEST
        model = self.model
        if best.exists():
            try:
                model = load_checkpoint(best).model.to(self.device)
            except CheckpointError as exc:  # pragma: no cover - a file we just wrote
                self._log(f"could not reload {best}: {exc}; testing the last weights")
        samples = self.data.test
        if not samples:
            return None
        out = evaluate_samples(model, samples, self.spec, self.cfg.data.num_clips_test, self.device,
                               self.cfg.batch_size, self.cfg.workers, self.amp, progress=self.cfg.progress)
        metrics = {**out["metrics"], "checkpoint": str(best) if best.exists() else "last weights",
                   "split": self.cfg.data.test_split}
        self.writer.write_test(metrics, out["confusion_matrix"], self.data.classes)
        save_scores(self.work_dir / TEST_SCORES, out["scores"], out["labels"], self.data.classes,
                    out["names"], stream="+".join(self.spec.feats))
        self._log("test " + " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                     for k, v in metrics.items()))
        return metrics


def train(cfg: TrainConfig) -> dict[str, Any]:
    """Run a whole training from a config; returns the summary (test metrics on rank 0)."""
    return Trainer(cfg).fit()
