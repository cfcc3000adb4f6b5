"""ROS 2 nodes: thin adapters around the ROS-free cores (parameters in params.py, messages in convert.py)."""
