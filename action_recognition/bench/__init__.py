"""`action-recognition bench`: what this machine sustains, measured on the real components.

machine (what it ran on), nodes (node processes, CPU pinning, RSS), pose (bare Ultralytics vs the
estimator vs the pose node), action (forward per track, node latency and tracks sustained), report
(Markdown tables, JSON for comparing releases). Sits above nodes/ (it starts them) and below cli/.
"""
