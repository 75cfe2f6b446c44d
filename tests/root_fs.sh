#!/bin/sh
# root= (KTAP; tests/check.sh runs it): Pagoda booted from an ext2 disk.
#   1. a tree with build/userland/root_init as /sbin/init (and /dev, /proc,
#      /mnt) becomes a 32 MiB ext2 image (mke2fs -d); a second, empty ext2
#      image is made for /dev/vda;
#   2. tools/pagoda-run --root /dev/nvme0n1 (root=/dev/nvme0n1 rw, no
#      init=): the kernel mounts the volume as "/", finds /sbin/init by
#      Linux's default search, and the program's checks pass; the log says
#      "VFS: Mounted root (ext2 filesystem) on device 259:0." and the
#      power-off unmounted both volumes;
#   3. e2fsck -fn accepts both images, marked clean; debugfs reads the
#      files the program wrote;
#   4. --root ro:/dev/nvme0n1 (root= without rw: read-only, Linux's
#      default): creating a file is EROFS, and the image is unchanged;
#   5. a root= naming no device, and one naming a disk without ext2 on it:
#      Linux's messages and panic ("VFS: Unable to mount root fs"), and
#      QEMU ends (no hang).
# Usage: tests/root_fs.sh [WORKDIR]   (default: a temporary directory)
B=${PAGODA_BUILD:-build}
PROG=$B/userland/root_init
ROOT_TEXT="written by root_init on the ext2 root"
SECOND_TEXT="written on /dev/vda while its node was open"
. "$(dirname "$0")/lib/disk_test.sh"
disk_test_workdir "${1:-}"
echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: root-fs"
echo "    1..8"

ok=0
mkdir -p "$tmp/tree/sbin" "$tmp/tree/dev" "$tmp/tree/proc" "$tmp/tree/mnt" &&
	cp "$PROG" "$tmp/tree/sbin/init" && chmod 755 "$tmp/tree/sbin/init" &&
	mke2fs -q -F -t ext2 -b 4096 -d "$tmp/tree" "$tmp/root.img" 32M > "$tmp/mke2fs.log" 2>&1 &&
	mke2fs -q -F -t ext2 -b 4096 "$tmp/second.img" 16M >> "$tmp/mke2fs.log" 2>&1 &&
	cp "$tmp/root.img" "$tmp/root-ro.img" && cp "$tmp/root.img" "$tmp/root-pristine.img" &&
	ok=1
result $ok "ext2 images: a root with /sbin/init, and a second volume" "$tmp/mke2fs.log"
[ $ok = 1 ] || { echo "not ok 1 root-fs"; exit 1; }

PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "nvme:$tmp/root.img" --disk "virtio:$tmp/second.img" \
	--root /dev/nvme0n1 > "$tmp/rw.out" 2> "$tmp/rw.console"
st=$?
ok=0
[ $st = 0 ] && grep -q '^    ok 13 ' "$tmp/rw.out" && ! grep -q 'not ok' "$tmp/rw.out" && ok=1
result $ok "root=/dev/nvme0n1 rw: /sbin/init runs from the disk and its checks pass (status $st)" \
	"$tmp/rw.out"

ok=0
grep -E '\] (BUG|Oops|Kernel panic)|still in use at power-off|may not be clean' "$tmp/rw.console" \
	> "$tmp/bad.log"
[ ! -s "$tmp/bad.log" ] &&
	grep -q '\] VFS: Mounted root (ext2 filesystem) on device 259:0\.$' "$tmp/rw.console" &&
	grep -q '\] pagoda: starting init /sbin/init$' "$tmp/rw.console" &&
	grep -q '\] ext2 (nvme0n1): unmounted$' "$tmp/rw.console" && ok=1
[ -s "$tmp/bad.log" ] || grep 'VFS\|ext2\|init' "$tmp/rw.console" > "$tmp/bad.log"
result $ok "the log names the root, the init found, and the clean unmount at power-off" "$tmp/bad.log"

ok=1
: > "$tmp/fsck.log"
for img in root second; do
	e2fsck -fn "$tmp/$img.img" >> "$tmp/fsck.log" 2>&1 || { ok=0; echo "($img: e2fsck failed)" >> "$tmp/fsck.log"; }
	dumpe2fs -h "$tmp/$img.img" 2>/dev/null | grep -q '^Filesystem state: *clean$' ||
		{ ok=0; echo "($img: not marked clean)" >> "$tmp/fsck.log"; }
done
result $ok "e2fsck -fn: both images consistent and marked clean" "$tmp/fsck.log"

ok=0
debugfs -R "cat /hello.txt" "$tmp/root.img" > "$tmp/hello.cat" 2> "$tmp/debugfs.log" &&
	debugfs -R "cat /second.txt" "$tmp/second.img" > "$tmp/second.cat" 2>> "$tmp/debugfs.log" &&
	[ "$(cat "$tmp/hello.cat")" = "$ROOT_TEXT" ] && [ "$(cat "$tmp/second.cat")" = "$SECOND_TEXT" ] &&
	debugfs -R "stat /newdir" "$tmp/root.img" 2>&1 | grep -q 'Type: directory' && ok=1
cat "$tmp/hello.cat" "$tmp/second.cat" >> "$tmp/debugfs.log" 2>/dev/null
result $ok "debugfs reads the files written on both volumes; /newdir exists" "$tmp/debugfs.log"

PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "nvme:$tmp/root-ro.img" --root ro:/dev/nvme0n1 \
	/sbin/init ro > "$tmp/ro.out" 2> "$tmp/ro.console"
st=$?
ok=0
[ $st = 0 ] && grep -q '^    ok 2 ' "$tmp/ro.out" && ! grep -q 'not ok' "$tmp/ro.out" &&
	grep -q '\] VFS: Mounted root (ext2 filesystem) readonly on device 259:0\.$' "$tmp/ro.console" &&
	cmp "$tmp/root-ro.img" "$tmp/root-pristine.img" >> "$tmp/ro.out" 2>&1 && ok=1
result $ok "root= without rw mounts read-only: EROFS, and the image is unchanged (status $st)" \
	"$tmp/ro.out"

# A bad root: Linux's messages and panic; QEMU must end by itself.
PAGODA_RUN_TIMEOUT=240 PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "nvme:$tmp/root.img" \
	--root /dev/nvme7n1 > /dev/null 2> "$tmp/nodev.console"
st=$?
ok=0
[ $st = 125 ] &&
	grep -q '\] VFS: Cannot open root device "/dev/nvme7n1" or unknown-block(0,0): error -6$' \
		"$tmp/nodev.console" &&
	grep -q '\]  *259:0  *32768 nvme0n1$' "$tmp/nodev.console" &&
	grep -q '\] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)$' \
		"$tmp/nodev.console" && ok=1
grep 'VFS\|panic\|259:' "$tmp/nodev.console" > "$tmp/nodev.log"
echo "(pagoda-run status $st)" >> "$tmp/nodev.log"
result $ok "root= naming no device: the message, the disks listed, Linux's panic, no hang" \
	"$tmp/nodev.log"

truncate -s 4M "$tmp/zero.img"
PAGODA_RUN_TIMEOUT=240 PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "nvme:$tmp/zero.img" \
	--root /dev/nvme0n1 > /dev/null 2> "$tmp/notext2.console"
st=$?
ok=0
[ $st = 125 ] &&
	grep -q '\] VFS: Cannot mount root fs on /dev/nvme0n1 as ext2: error -' "$tmp/notext2.console" &&
	grep -q '\] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(259,0)$' \
		"$tmp/notext2.console" && ok=1
grep 'VFS\|panic\|ext2' "$tmp/notext2.console" > "$tmp/notext2.log"
echo "(pagoda-run status $st)" >> "$tmp/notext2.log"
result $ok "root= on a disk without ext2: the message and Linux's panic, no hang" "$tmp/notext2.log"

[ $failed = 0 ] && echo "ok 1 root-fs" || echo "not ok 1 root-fs"
exit $failed
