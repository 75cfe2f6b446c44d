#!/bin/sh
# ext2 through the VFS on real disks (KTAP; tests/check.sh runs it):
#   1. build/userland/ext2_disk --make-tree makes a tree (with a copy of
#      the program itself, bin/prog, which each run execs from the volume:
#      cold on Pagoda's fresh mounts, counting major faults); mke2fs -t ext2
#      -b 4096 -d puts it on two 32 MiB images;
#   2. the program runs on the host on two copies of the tree (the
#      reference output), then in one QEMU run (tools/pagoda-run) with the
#      first image as virtio-blk (/dev/vda) and the second as NVMe
#      (/dev/nvme0n1), each mounted -t ext2; the outputs must be the same;
#      the kernel's log must hold no BUG, Oops or panic, and the power-off
#      must have unmounted both volumes;
#   3. e2fsck -fn accepts both images (clean, marked valid), and every file
#      the program left is, as debugfs -R cat reads it from the image,
#      byte for byte the host's copy; attrs.txt has the mode, owner and
#      times chmod, chown and utimensat gave it.
# Usage: tests/ext2_disk.sh [WORKDIR]   (default: a temporary directory)
B=${PAGODA_BUILD:-build}
PROG=$B/userland/ext2_disk
. "$(dirname "$0")/lib/disk_test.sh"
disk_test_workdir "${1:-}"
FILES="big.bin hello.txt new.txt written.bin sparse.bin trunc.bin mapped.bin synced.txt
	d3/d2/moved.txt sub/nested.txt"
echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: ext2-disk"
echo "    1..7"

ok=0
"$PROG" --make-tree "$tmp/tree" &&
	mke2fs -q -F -t ext2 -b 4096 -d "$tmp/tree" "$tmp/vda.img" 32M > "$tmp/mke2fs.log" 2>&1 &&
	mke2fs -q -F -t ext2 -b 4096 -d "$tmp/tree" "$tmp/nvme.img" 32M >> "$tmp/mke2fs.log" 2>&1 &&
	ok=1
result $ok "two 32 MiB ext2 images made by mke2fs -d from the program's tree" "$tmp/mke2fs.log"

cp -a "$tmp/tree" "$tmp/host1" && cp -a "$tmp/tree" "$tmp/host2"
"$PROG" "$tmp/host1" "$tmp/host2" > "$tmp/host.out" 2>&1
st=$?
ok=0
[ $st = 0 ] && grep -q '^    ok 32 ' "$tmp/host.out" && ok=1
result $ok "on the host: every check passes (exit status $st)" "$tmp/host.out"

PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "virtio:$tmp/vda.img" --disk "nvme:$tmp/nvme.img" \
	"$PROG" /dev/vda /dev/nvme0n1 > "$tmp/pagoda.out" 2> "$tmp/console.log"
st=$?
ok=0
[ $st = 0 ] && ok=1
result $ok "on Pagoda: every check passes on ext2 over virtio-blk and NVMe (exit status $st)" \
	"$tmp/pagoda.out"

ok=0
diff -u "$tmp/host.out" "$tmp/pagoda.out" > "$tmp/diff.log" 2>&1 && ok=1
result $ok "the same output on the host and on Pagoda" "$tmp/diff.log"

ok=0
grep -E '\] (BUG|Oops|Kernel panic)|still in use at power-off|may not be clean' "$tmp/console.log" \
	> "$tmp/bad.log"
# the paging mode asked for (PAGODA_CMDLINE=no5lvl: 4-level) is the one used
levels=5
case " ${PAGODA_CMDLINE:-} " in *" no5lvl "*) levels=4 ;; esac
[ ! -s "$tmp/bad.log" ] && grep -q '\] ext2 (vda): unmounted$' "$tmp/console.log" &&
	grep -q '\] ext2 (nvme0n1): unmounted$' "$tmp/console.log" &&
	grep -q "pagoda: paging mode: $levels-level" "$tmp/console.log" && ok=1
[ -s "$tmp/bad.log" ] || grep 'ext2\|umount\|paging mode' "$tmp/console.log" > "$tmp/bad.log"
result $ok "no kernel BUG; the power-off unmounted both volumes ($levels-level paging)" "$tmp/bad.log"

ok=1
: > "$tmp/fsck.log"
for img in vda nvme; do
	e2fsck -fn "$tmp/$img.img" >> "$tmp/fsck.log" 2>&1 || { ok=0; echo "($img: e2fsck exit $?)" >> "$tmp/fsck.log"; }
	dumpe2fs -h "$tmp/$img.img" 2>/dev/null | grep -q '^Filesystem state: *clean$' ||
		{ ok=0; echo "($img: not marked clean)" >> "$tmp/fsck.log"; }
done
result $ok "e2fsck -fn: both images consistent and marked clean" "$tmp/fsck.log"

ok=1
: > "$tmp/cmp.log"
for f in $FILES; do
	debugfs -R "cat /$f" "$tmp/vda.img" > "$tmp/vda.cat" 2>/dev/null
	debugfs -R "cat /$f" "$tmp/nvme.img" > "$tmp/nvme.cat" 2>/dev/null
	if ! cmp "$tmp/vda.cat" "$tmp/host1/$f" >> "$tmp/cmp.log" 2>&1 ||
	   ! cmp "$tmp/nvme.cat" "$tmp/host2/$f" >> "$tmp/cmp.log" 2>&1; then
		ok=0
		echo "$f differs" >> "$tmp/cmp.log"
	fi
done
for f in r1 r2 r3 r4 gone.txt e sl slow d1; do
	if debugfs -R "stat /$f" "$tmp/vda.img" 2>&1 | grep -q '^Inode:'; then
		ok=0
		echo "/$f still exists" >> "$tmp/cmp.log"
	fi
done
for img in vda nvme; do	# chmod, chown, utimensat reached the inode table
	debugfs -R "stat /attrs.txt" "$tmp/$img.img" > "$tmp/attrs.stat" 2>/dev/null
	if ! grep -q 'Mode:  0640' "$tmp/attrs.stat" || ! grep -q 'User:  1234 *Group:  5678' "$tmp/attrs.stat" ||
	   ! grep -q 'mtime: 0x3b9aca00' "$tmp/attrs.stat" || ! grep -q 'atime: 0x3b9ac9ff' "$tmp/attrs.stat"; then
		ok=0
		{ echo "$img: attrs.txt's inode:"; cat "$tmp/attrs.stat"; } >> "$tmp/cmp.log"
	fi
done
result $ok "debugfs reads each file left on both images as the host's copy (attrs.txt's mode, owner, times); removed names are gone" \
	"$tmp/cmp.log"

[ $failed = 0 ] && echo "ok 1 ext2-disk" || echo "not ok 1 ext2-disk"
exit $failed
