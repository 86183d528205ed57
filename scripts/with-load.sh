#!/usr/bin/env bash
# with-load.sh N COMMAND... - run COMMAND with N busy processes beside it.
#
# `make test LOAD=2` runs the suite this way: a shared machine or a laptop is
# busy with other work, QEMU's vCPU threads then wait for a host CPU at any
# instruction, and a kernel whose waits depend on time must still be right.
# The busy processes end with the command, whatever its status.
set -u
n=${1:-0}; shift
pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; }
trap cleanup EXIT
for _ in $(seq 1 "$n"); do
  ( while :; do :; done ) &
  pids+=($!)
done
[ "$n" -gt 0 ] && echo "with-load: $n busy processes beside: $*"
"$@"
