"""`action-recognition video INPUT OUTPUT`: annotate a video with skeletons, track ids and actions (no ROS).

Writes OUTPUT (skeletons, boxes, track ids, each person's current label and score, updated as the
window slides), OUTPUT's name with .json (per-frame results) and, with --csv, a CSV of the same rows.
Exit status: 0 done; 1 error (nothing written); 3 outputs written but INPUT ended before the frame
count its container declares (a truncated or corrupt file: the outputs cover only the decoded part).
"""

from __future__ import annotations

import argparse
import signal


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "video", help="annotate a video file with skeletons, track ids and actions (no ROS needed)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT", help="video file")
    parser.add_argument("output", metavar="OUTPUT", help="annotated video to write (.mp4 or .avi)")
    parser.add_argument("--pose-model", default=None, help="pose weights (.pt/.onnx/OpenVINO)")
    parser.add_argument("--action-model", default=None,
                        help="action model (.pth/.onnx/ensemble .yaml) or a shipped model's name (default "
                             "stgcnpp_coco_real; stgcnpp_coco_synth: synthetic data only, permissive)")
    parser.add_argument("--label-map", default=None, help="class names file for a model without them (PYSKL)")
    parser.add_argument("--layout", "--skeleton", dest="layout", default=None,
                        help="skeleton layout (coco, nturgb+d, a layout yaml); default: the action model's")
    parser.add_argument("--det-score-thr", type=float, default=0.25, help="minimum person detection score")
    parser.add_argument("--imgsz", type=int, default=640, help="pose inference size (320: ~3x faster)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N")
    parser.add_argument("--tracker", default="bytetrack_robust.yaml",
                        help="a name in config/trackers/ (default, as the pose node), bytetrack.yaml, "
                        "botsort.yaml or a yaml")
    parser.add_argument("--stride-s", type=float, default=0.167,
                        help="seconds of video between two classifications of a person")
    parser.add_argument("--window-s", type=float, default=0.0,
                        help="seconds of video per person; 0 = the model's window (default model: 3 s)")
    parser.add_argument("--score-threshold", type=float, default=0.0, help="below it the label is 'unknown'")
    parser.add_argument("--smoothing", type=float, default=0.0, help="moving-average weight of past scores")
    parser.add_argument("--max-frames", type=int, default=0, help="stop after this many frames; 0 = all")
    parser.add_argument("--json", default=None, help="per-frame results JSON (default: OUTPUT with .json)")
    parser.add_argument("--csv", nargs="?", const="", default=None,
                        help="also write a CSV (default path: OUTPUT with .csv)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


EXIT_INCOMPLETE = 3  # outputs written, but the input video ended before its declared frame count


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from action_recognition.pose.estimator import PoseSetupError
    from action_recognition.recognition import ModelSourceError
    from action_recognition.video_tool import VideoToolConfig, VideoToolError, run_video

    config = VideoToolConfig(
        pose_model=args.pose_model, action_model=args.action_model, label_map=args.label_map,
        layout=args.layout, det_score_thr=args.det_score_thr, imgsz=args.imgsz, device=args.device,
        tracker=args.tracker, stride_s=args.stride_s, window_s=args.window_s,
        score_threshold=args.score_threshold, smoothing=args.smoothing, max_frames=args.max_frames,
    )
    csv_path = None if args.csv is None else (args.csv or Path(args.output).with_suffix(".csv"))
    stopped_by: list[int] = []

    def on_signal(signum: int, frame: object) -> None:  # SIGTERM like Ctrl-C: one line, no traceback
        stopped_by.append(signum)
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        r = run_video(args.input, args.output, config, args.json, csv_path, progress=not args.no_progress)
    except (VideoToolError, ModelSourceError, PoseSetupError, ValueError) as exc:
        print(f"action-recognition video: {exc}")
        return 1
    except KeyboardInterrupt:
        sig = stopped_by[0] if stopped_by else signal.SIGINT
        print(f"action-recognition video: stopped by {signal.Signals(sig).name}; {args.output} holds the "
              "frames annotated so far, no JSON/CSV written", flush=True)
        return 128 + sig
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    labels = ", ".join(f"{k} {v}" for k, v in sorted(r.label_counts.items(), key=lambda kv: -kv[1])) or "none"
    print(f"{r.frames} frames in {r.wall_s:.1f} s ({r.frames / max(r.wall_s, 1e-9):.1f} fps); "
          f"people in {r.frames_with_people} frames, {len(r.tracks)} track(s); results per label: {labels}")
    print(f"wrote {r.output}, {r.json_path}" + (f", {r.csv_path}" if r.csv_path else ""))
    if r.frames_missing:
        print(f"INCOMPLETE: {r.frames_missing} of the input's {r.frames_declared} frames were not decodable "
              f"(truncated or corrupt file); exit status {EXIT_INCOMPLETE}")
        return EXIT_INCOMPLETE
    return 0
