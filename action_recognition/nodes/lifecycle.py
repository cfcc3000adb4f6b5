"""Lifecycle base of the pose and action nodes: parameters, transitions, the enable service, diagnostics.

States as ROS 2 managed nodes define them (`ros2 lifecycle set /pose_node configure` ...):
- configure: `_configure()` loads the model and makes publishers, state and worker;
- activate: `_open_input()` subscribes (when enabled); deactivate: `_close_input()` releases the
  subscription; cleanup / shutdown: `_release()` drops everything configure made.
`autostart` (default true) configures and activates at start, so plain `ros2 run` / `ros2 launch`
behave as before. `~/enable` (std_srvs/SetBool) pauses and resumes the input of an active node.

Parameters are declared from the node's table (nodes/params.py); startup-only ones are read-only;
`dynamic` ones go through `_apply(changes)` and take effect at once. Unknown parameters given on the
command line or in a parameter file (typos) are a startup error naming the closest known name.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rcl_interfaces.msg import SetParametersResult
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.parameter import Parameter
from std_srvs.srv import SetBool

from action_recognition.nodes.params import (
    AUTOSTART,
    Param,
    check,
    declare,
    did_you_mean,
    unknown_overrides,
)

SUCCESS, FAILURE = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE


class ManagedNode(LifecycleNode):
    """Subclasses implement _configure (making `diag_pub`), _open_input, _close_input, _release,
    _diagnostic_status, and optionally _apply, stop and summary_line."""

    # Exceptions of configure that are a clear user error (one log line, no traceback).
    setup_errors: tuple[type[Exception], ...] = ()

    def __init__(self, name: str, table: Sequence[Param]) -> None:
        super().__init__(name)
        self.table = {p.name: p for p in table}
        self.p: dict[str, Any] = declare(self, (*table, AUTOSTART))
        unknown = unknown_overrides(self)
        if unknown:
            known = [*self.table, AUTOSTART.name]
            raise ValueError("; ".join(
                f"unknown parameter {n!r}{did_you_mean(n, known)}" for n in unknown
            ) + f". Parameters of {self.get_fully_qualified_name()}: {', '.join(known)}")
        self.autostart = bool(self.p.pop(AUTOSTART.name))
        self.setup_error: Exception | None = None
        self.sub: Any = None
        self._configured = self._active = False
        self._enabled = True
        self.was_active = False  # for the summary: a node that never ran has nothing to report
        self._internal_set = False
        self._diag_timer: Any = None
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.create_service(SetBool, "~/enable", self._on_enable)

    # ---- subclass hooks --------------------------------------------------------------------------
    def _configure(self) -> None:
        raise NotImplementedError

    def _open_input(self) -> None:
        raise NotImplementedError

    def _close_input(self) -> None:
        if self.sub is not None:
            sub, self.sub = self.sub, None
            sub.destroy()  # an InputSubscription (nodes/qos.py): subscription and its timer

    def _release(self) -> None:
        """Drop what _configure made (model, publishers, worker)."""

    def _destroy_publishers(self, *names: str) -> None:
        """Destroy the publishers held in these attributes (those that exist) and clear them."""
        for name in names:
            pub = getattr(self, name, None)
            if pub is not None:
                self.destroy_publisher(pub)
                setattr(self, name, None)

    def _apply(self, changes: dict[str, Any]) -> None:
        """Apply run-time parameter changes (already type/range checked); ValueError refuses them."""

    def _diagnostic_status(self) -> DiagnosticStatus:
        """This node's status and counters for one /diagnostics report."""
        raise NotImplementedError

    def _publish_diagnostics(self) -> None:
        # Stamped before the counters are read: a reader waiting for "a report made after X" must get
        # counters read after X (stamped after, a report read before a window was classified could carry
        # a later stamp than that window's label).
        stamp = self.get_clock().now().to_msg()
        arr = DiagnosticArray(status=[self._diagnostic_status()])
        arr.header.stamp = stamp
        self.diag_pub.publish(arr)

    def stop(self) -> None:
        """End worker threads; after it nothing is published."""

    def summary_line(self) -> str:
        return ""

    # ---- transitions -----------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self._configure()
        except (*self.setup_errors, ValueError) as exc:
            self.setup_error = exc
            log = self.get_logger().fatal if self.autostart else self.get_logger().error
            log(str(exc))
            self._release()
            return FAILURE
        except Exception as exc:  # a defect, not a user error: keep the traceback (rclpy would hide it)
            self.setup_error = exc
            self.get_logger().fatal(f"configure failed unexpectedly:\n{traceback.format_exc()}")
            self._release()
            return FAILURE
        self.setup_error = None
        self._configured = True
        self._start_diagnostics()
        return SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self._enabled:
            try:
                self._open_input()
            except Exception:
                self.get_logger().fatal(f"activate failed:\n{traceback.format_exc()}")
                return FAILURE
        self._active = self.was_active = True
        return SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._active = False
        self._close_input()
        return SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._teardown()
        return SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._teardown()
        return SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._teardown()
        return SUCCESS  # back to unconfigured

    def _teardown(self) -> None:
        self._active = False
        self._close_input()
        if self._diag_timer is not None:
            self.destroy_timer(self._diag_timer)
            self._diag_timer = None
        if self._configured:
            self.stop()
            self._release()
        self._configured = False

    def destroy_node(self) -> None:
        # rclpy's LifecycleNode leaves its state machine alive, and the state machine keeps the node
        # handle and so the DDS participant: the process then ended (os._exit) with its Fast DDS
        # shared-memory segments (~36 MB) left in /dev/shm. docs/reliability.md, "Shared memory".
        super().destroy_node()
        # A Ctrl-C inside the constructor leaves a node registered with the context but without its state
        # machine; rclpy.try_shutdown still destroys it (seen under load in test_node_shutdown).
        machine = getattr(self, "_state_machine", None)
        if machine is not None:
            machine.destroy_when_not_in_use()

    @property
    def active(self) -> bool:
        return self._active

    # ---- enable service ----------------------------------------------------------------------------
    def _on_enable(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        self._enabled = bool(request.data)
        if self._active and self._enabled and self.sub is None:
            self._open_input()
        elif not self._enabled:
            self._close_input()
        response.success = True
        state = "active" if self._active else "not active: input opens when activated"
        response.message = f"{'enabled' if self._enabled else 'disabled'} ({state})"
        self.get_logger().info(f"input {response.message}")
        return response

    # ---- parameters ----------------------------------------------------------------------------------
    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        if self._internal_set:
            return SetParametersResult(successful=True)
        changes: dict[str, Any] = {}
        for prm in params:
            p = self.table.get(prm.name)
            if p is None:
                continue  # use_sim_time and the other parameters every node has
            if not p.dynamic:
                return SetParametersResult(
                    successful=False, reason=f"{p.name} is read-only: set it at start (-p {p.name}:=...)"
                )
            try:
                changes[p.name] = check(p, prm.value)
            except ValueError as exc:
                return SetParametersResult(successful=False, reason=str(exc))
        if changes:
            try:
                self._apply(changes)
            except ValueError as exc:
                return SetParametersResult(successful=False, reason=str(exc))
            self.p.update(changes)
            if "diagnostics_period" in changes and self._diag_timer is not None:
                self._start_diagnostics()
            text = ", ".join(f"{k}={v!r}" for k, v in changes.items())
            self.get_logger().info(f"parameters changed: {text}")
        return SetParametersResult(successful=True)

    def report_effective(self, values: dict[str, Any]) -> None:
        """Show the values in effect (e.g. window 0 = the model's -> 90) through `ros2 param get`."""
        self._internal_set = True
        try:
            params = [Parameter(k, value=v) for k, v in values.items()]
            # read-only parameters: the internal path that declare uses, which skips the read-only check
            # (rclpy has no public way to update a read-only value); an rclpy without it keeps the old value
            setter = getattr(self, "_set_parameters_atomically_common", None)
            if setter is not None:
                setter(params, {k: self.describe_parameter(k) for k in values})
        finally:
            self._internal_set = False
        self.p.update(values)

    # ---- diagnostics ---------------------------------------------------------------------------------
    def _start_diagnostics(self) -> None:
        if self._diag_timer is not None:
            self.destroy_timer(self._diag_timer)
        self._diag_timer = self.create_timer(float(self.p["diagnostics_period"]), self._publish_diagnostics)

    def diagnostic_name(self, what: str) -> tuple[str, str]:
        """(name, hardware_id) of this node's diagnostics: its fully qualified name, so that two
        pipelines in one domain never mix their counters."""
        fqn = self.get_fully_qualified_name()
        return f"{fqn}: {what}", fqn
