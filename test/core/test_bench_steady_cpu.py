"""The bench's CPU figures come from the action node's own diagnostics, both from the same two reports."""

from __future__ import annotations

from action_recognition.bench.action import steady_cpu


def report(received: int, windows: int, cpu: float, forward: float) -> dict[str, str]:
    return {"received_total": str(received), "windows_classified_total": str(windows),
            "cpu_ms_total": f"{cpu:.1f}", "inference_cpu_ms_total": f"{forward:.1f}"}


def test_span_from_the_first_report_after_the_window_to_the_first_with_all_work_done():
    reports = [
        report(3, 0, 900.0, 0.0),  # window (5 frames) not yet full: not the start
        report(6, 1, 1000.0, 10.0),  # start
        report(12, 4, 1090.0, 70.0),
        report(20, 7, 1200.0, 140.0),  # end: every frame in, every window classified
        report(20, 7, 1230.0, 140.0),  # idle afterwards: not counted
    ]
    cpu = steady_cpu(reports, window=5, frames=20)
    assert (cpu.frames, cpu.process_ms, cpu.forward_ms) == (14, 200.0, 130.0)
    figures = cpu.per_frame(rate=10.0)
    assert figures["node_cpu_ms_per_frame"] == round(200 / 14, 2)
    assert figures["forward_cpu_ms_per_frame"] == round(130 / 14, 2)
    assert figures["overhead_cpu_ms_per_frame"] == round(70 / 14, 2)
    assert figures["core_share"] == round(0.2 / 1.4, 3)


def test_no_report_after_the_window_gives_no_figures_rather_than_wrong_ones():
    cpu = steady_cpu([report(3, 0, 900.0, 0.0)], window=5, frames=20)
    assert cpu.per_frame(rate=10.0) == dict.fromkeys(
        ("node_cpu_ms_per_frame", "forward_cpu_ms_per_frame", "overhead_cpu_ms_per_frame", "core_share"))
    assert steady_cpu([], window=5, frames=20).frames == 0
