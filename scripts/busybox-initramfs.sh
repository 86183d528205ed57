#!/usr/bin/env bash
# Build an initramfs holding Debian's static busybox and its applet links.
#
#   scripts/busybox-initramfs.sh OUT.cpio [DEST=SRC ...]
#
# /bin/busybox is the host's /bin/busybox (package busybox-static, unmodified); every applet
# it lists (`busybox --list-full`, e.g. bin/sh, usr/bin/xargs) becomes a symbolic link to
# /bin/busybox, as `busybox --install -s` would make them. Extra DEST=SRC arguments (test
# scripts, programs) are added as they are. The archive is written by the project's own
# build/host/gen_init_cpio (run `make` first).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/busybox-initramfs.sh OUT.cpio [DEST=SRC ...]}
shift
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || { echo "no $BUSYBOX: apt-get install busybox-static" >&2; exit 1; }
[ -x build/host/gen_init_cpio ] || { echo "no build/host/gen_init_cpio: run make" >&2; exit 1; }
args=("/bin/busybox=$BUSYBOX")
while read -r applet; do
    [ "$applet" = "bin/busybox" ] && continue
    args+=("/$applet=->/bin/busybox")
done < <("$BUSYBOX" --list-full | sort)
exec build/host/gen_init_cpio "$out" "${args[@]}" "$@"
