#!/bin/sh
# Files on ext2 on NVMe under memory pressure and a hard kill (KTAP;
# tests/check.sh runs it, `make stress` runs the big-file half at full size):
#
#   big-file    userland/big_file writes, reads, maps and rewrites through a
#               shared mapping a file twice the guest's RAM (BIG_MIB MiB on a
#               BIG_MEM machine; default 256 MiB on 128 MiB): reclaim and
#               writeback under pressure. Its output must match the host's
#               (the same program in a temporary directory); afterwards
#               e2fsck -fn is clean and the file, dumped with debugfs, holds
#               every store (big_file --verify).
#   fsync-kill  userland/fsync_kill fsyncs two files (one written with
#               write(), one through a shared mapping and msync), prints a
#               marker and churns the file system without syncing; QEMU is
#               killed (SIGKILL) when the marker appears. e2fsck -fp must
#               repair the rest (exit 0 or 1), and both fsynced files must
#               read back exactly (fsync_kill --verify).
#   full-volume userland/full_disk fills a 4 MiB ext2 volume: write() gives
#               what fits then ENOSPC, a store into a hole through a shared
#               mapping is SIGBUS, freeing space makes it work; on Pagoda and,
#               when a loop device can be set up (root), on the host's own
#               ext2 driver: the outputs must match; e2fsck -fn afterwards.
#
# Usage: tests/disk_stress.sh [WORKDIR]   (default: a temporary directory)
# Environment: BIG_MEM (QEMU -m, default 128M), BIG_MIB (default 256),
#              DISK_STRESS_ONLY (big-file, fsync-kill or full-volume: one part).
B=${PAGODA_BUILD:-build}
BIG_MEM=${BIG_MEM:-128M}
BIG_MIB=${BIG_MIB:-256}
ONLY=${DISK_STRESS_ONLY:-}
. "$(dirname "$0")/lib/disk_test.sh"
disk_test_workdir "${1:-}"
# no_kernel_bug CONSOLE OUT: 1 if the console holds no BUG, Oops or panic
no_kernel_bug() {
	grep -E '\] (BUG|Oops|Kernel panic)|Bad page state' "$1" > "$2"
	[ ! -s "$2" ]
}
plan=12
[ "$ONLY" = big-file ] && plan=5
[ "$ONLY" = fsync-kill ] && plan=4
[ "$ONLY" = full-volume ] && plan=3
echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: disk-stress"
echo "    1..$plan"

big_file() {
	d=$tmp/big
	mkdir -p "$d"
	echo "    # big-file: a $BIG_MIB MiB file on a $BIG_MEM machine"
	"$B/userland/big_file" "$d/host" 64 > "$d/host.out" 2>&1
	st=$?
	ok=0
	[ $st = 0 ] && ok=1
	result $ok "on the host (64 MiB in a temporary directory): every check passes" "$d/host.out"
	rm -rf "$d/host"

	truncate -s $((BIG_MIB + BIG_MIB / 8 + 32))M "$d/disk.img" &&
		mke2fs -q -F -t ext2 -b 4096 "$d/disk.img" > "$d/mke2fs.log" 2>&1
	PAGODA_MEM=$BIG_MEM PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "$d/disk.img" \
		"$B/userland/big_file" /mnt "$BIG_MIB" /dev/nvme0n1 > "$d/pagoda.out" 2> "$d/console.log"
	st=$?
	ok=0
	[ $st = 0 ] && cmp -s "$d/host.out" "$d/pagoda.out" && ok=1
	diff -u "$d/host.out" "$d/pagoda.out" > "$d/diff.log" 2>&1
	result $ok "on Pagoda: every check passes, output as on the host (exit status $st)" "$d/diff.log"

	ok=0
	no_kernel_bug "$d/console.log" "$d/bad.log" &&
		grep -q '\] ext2 (nvme0n1): unmounted$' "$d/console.log" && ok=1
	[ -s "$d/bad.log" ] || tail -n 20 "$d/console.log" > "$d/bad.log"
	result $ok "no kernel BUG, no bad page; the volume unmounted" "$d/bad.log"

	ok=0
	e2fsck -fn "$d/disk.img" > "$d/fsck.log" 2>&1 && ok=1
	result $ok "e2fsck -fn: the image is consistent" "$d/fsck.log"

	ok=0
	debugfs -R "dump /big.bin $d/big.copy" "$d/disk.img" > "$d/dump.log" 2>&1 &&
		"$B/userland/big_file" --verify "$d/big.copy" "$BIG_MIB" >> "$d/dump.log" 2>&1 && ok=1
	result $ok "the file on the image holds every word, with every store made through the mapping" \
		"$d/dump.log"
	rm -f "$d/big.copy" "$d/disk.img"
}

# wait_for_line FILE PATTERN PID: 0 once FILE has a line matching PATTERN,
# 1 if process PID (the run writing FILE) ends first
wait_for_line() {
	while kill -0 "$3" 2>/dev/null; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	grep -q "$2" "$1" 2>/dev/null
}

fsync_kill() {
	d=$tmp/kill
	mkdir -p "$d"
	echo "    # fsync-kill"
	truncate -s 64M "$d/disk.img" &&
		mke2fs -q -F -t ext2 -b 4096 "$d/disk.img" > "$d/mke2fs.log" 2>&1
	PAGODA_RUN_VERBOSE=1 PAGODA_RUN_TIMEOUT=600 tools/pagoda-run --disk "$d/disk.img" \
		"$B/userland/fsync_kill" /mnt /dev/nvme0n1 > "$d/pagoda.out" 2> "$d/console.log" &
	run=$!
	ok=0
	wait_for_line "$d/pagoda.out" '^fsync_kill: synced$' $run && ok=1
	sleep 2				# let the churn get going
	# the QEMU of this run: the only one with this disk image on its command line
	pkill -KILL -f "file=$d/disk.img" 2>/dev/null
	wait $run 2>/dev/null
	[ $ok = 1 ] || cat "$d/pagoda.out" "$d/console.log" > "$d/run.log" 2>/dev/null
	result $ok "the program fsynced its files and was killed in the middle of unsynced work" \
		"$d/run.log"

	ok=0
	no_kernel_bug "$d/console.log" "$d/bad.log" && ok=1
	result $ok "no kernel BUG before the kill" "$d/bad.log"

	e2fsck -fp "$d/disk.img" > "$d/fsck.log" 2>&1
	st=$?
	ok=0
	[ $st -le 1 ] && e2fsck -fn "$d/disk.img" >> "$d/fsck.log" 2>&1 && ok=1
	result $ok "e2fsck -fp repairs the image (exit $st), e2fsck -fn then finds it clean" \
		"$d/fsck.log"

	ok=0
	debugfs -R "dump /synced/a.bin $d/a.copy" "$d/disk.img" > "$d/dump.log" 2>&1 &&
		debugfs -R "dump /synced/b.bin $d/b.copy" "$d/disk.img" >> "$d/dump.log" 2>&1 &&
		"$B/userland/fsync_kill" --verify "$d/a.copy" "$d/b.copy" >> "$d/dump.log" 2>&1 && ok=1
	result $ok "every fsynced byte is on the disk: both files read back exactly" "$d/dump.log"
}

full_volume() {
	d=$tmp/full
	mkdir -p "$d"
	echo "    # full-volume"
	for side in host pagoda; do
		truncate -s 4M "$d/$side.img" &&
			mke2fs -q -F -t ext2 -b 4096 "$d/$side.img" > "$d/mke2fs.log" 2>&1
	done
	# the host's reference, through its own ext2 driver on a loop device
	# (a host that cannot set up a loop device or mount ext2 on it, e.g. a
	# container, skips the comparison: Pagoda's own checks still count)
	loop=$(losetup -f --show "$d/host.img" 2> "$d/losetup.log") || loop=""
	if [ -n "$loop" ]; then
		"$B/userland/full_disk" "$d/mnt" "$loop" > "$d/host.out" 2>&1
		umount "$d/mnt" 2>/dev/null
		losetup -d "$loop"
		if grep -q 'mount -t ext2 failed' "$d/host.out"; then
			grep 'mount -t ext2 failed' "$d/host.out" > "$d/losetup.log"
			loop=""
		fi
	fi
	PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "$d/pagoda.img" \
		"$B/userland/full_disk" /mnt /dev/nvme0n1 > "$d/pagoda.out" 2> "$d/console.log"
	st=$?
	ok=0
	[ $st = 0 ] && ok=1
	result $ok "on Pagoda: ENOSPC at write(), SIGBUS at a store into a hole (exit status $st)" \
		"$d/pagoda.out"
	if [ -n "$loop" ]; then
		ok=0
		diff -u "$d/host.out" "$d/pagoda.out" > "$d/diff.log" 2>&1 && ok=1
		result $ok "the same output as the host's ext2 driver on a loop device" "$d/diff.log"
	else
		result skip "the same output as the host's ext2 driver" \
			"no loop device or no ext2 mount on the host ($(head -c 80 "$d/losetup.log"))"
	fi
	ok=0
	no_kernel_bug "$d/console.log" "$d/bad.log" && e2fsck -fn "$d/pagoda.img" > "$d/fsck.log" 2>&1 &&
		ok=1
	cat "$d/bad.log" >> "$d/fsck.log"
	result $ok "no kernel BUG; e2fsck -fn: the full image is consistent" "$d/fsck.log"
}

[ -z "$ONLY" ] || [ "$ONLY" = big-file ] && big_file
[ -z "$ONLY" ] || [ "$ONLY" = fsync-kill ] && fsync_kill
[ -z "$ONLY" ] || [ "$ONLY" = full-volume ] && full_volume
[ $failed = 0 ] && echo "ok 1 disk-stress" || echo "not ok 1 disk-stress"
exit $failed
