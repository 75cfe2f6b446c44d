#!/bin/sh
# The memory counters on a real disk (KTAP; tests/check.sh runs it):
# userland/proc_mm --disk on the host (in a temporary directory) and on
# Pagoda (tools/pagoda-run, an empty mke2fs ext2 image as virtio-blk,
# mounted -t ext2): Dirty at a write and an fsync, pgpgout, drop_caches,
# a cold read's major faults and pgpgin. The outputs must be the same and
# e2fsck -fn must accept the image afterwards.
# Usage: tests/proc_mm_disk.sh [WORKDIR]   (default: a temporary directory)
B=${PAGODA_BUILD:-build}
PROG=$B/userland/proc_mm
. "$(dirname "$0")/lib/disk_test.sh"
disk_test_workdir "${1:-}"
echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: proc-mm-disk"
echo "    1..4"

mkdir -p "$tmp/host"
"$PROG" --disk "$tmp/host" > "$tmp/host.out" 2>&1
st=$?
result "$([ $st = 0 ] && echo 1 || echo 0)" "on the host: every check passes (exit status $st)" \
	"$tmp/host.out"

ok=0
mke2fs -q -F -t ext2 -b 4096 "$tmp/vda.img" 64M > "$tmp/mke2fs.log" 2>&1 &&
	PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "virtio:$tmp/vda.img" "$PROG" --disk /dev/vda \
		> "$tmp/pagoda.out" 2> "$tmp/console.log" && ok=1
result $ok "on Pagoda: every check passes on ext2 over virtio-blk" "$tmp/pagoda.out"

ok=0
diff -u "$tmp/host.out" "$tmp/pagoda.out" > "$tmp/diff.log" 2>&1 && ok=1
result $ok "the same output on the host and on Pagoda" "$tmp/diff.log"

ok=0
e2fsck -fn "$tmp/vda.img" > "$tmp/fsck.log" 2>&1 &&
	! grep -E '\] (BUG|Oops|Kernel panic)' "$tmp/console.log" >> "$tmp/fsck.log" && ok=1
result $ok "e2fsck -fn accepts the image; no kernel BUG" "$tmp/fsck.log"

[ $failed = 0 ] && echo "ok 1 proc-mm-disk" || echo "not ok 1 proc-mm-disk"
exit $failed
