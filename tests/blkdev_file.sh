#!/bin/sh
# Block devices as files (KTAP; tests/check.sh runs it):
#   1. build/userland/blkdev_file --make-image fills three images of
#      8 MiB + 1536 bytes (the last page of the device is partial) with a
#      known pattern; --expect-image makes what a writable disk must hold
#      afterwards;
#   2. as root with loop devices (losetup; the third one -r), the program
#      runs on the host Linux on copies: the reference output, and the
#      written copies must equal the expected image;
#   3. the program runs on Pagoda (tools/pagoda-run) on the images as
#      /dev/nvme0n1 (NVMe), /dev/vda and a read-only /dev/vdb (virtio-blk),
#      and a sparse 640 MiB /dev/nvme1n1 read whole with 512 MiB of RAM;
#      the output must be the host's, the kernel log free of BUG/Oops/panic;
#   4. after QEMU exits, the two writable images equal the expected image
#      byte for byte (cmp) and the read-only one is untouched.
# Without root or loop devices the host steps are SKIPped and Pagoda's
# output must have every check ok.
# Usage: tests/blkdev_file.sh [WORKDIR]   (default: a temporary directory)
B=${PAGODA_BUILD:-build}
PROG=$B/userland/blkdev_file
SIZE=8390144
SEED=7
. "$(dirname "$0")/lib/disk_test.sh"
disk_test_workdir "${1:-}"
echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: blkdev-file"
echo "    1..7"

ok=0
"$PROG" --make-image "$tmp/base.img" $SIZE $SEED &&
	"$PROG" --expect-image "$tmp/expected.img" $SIZE $SEED &&
	cp "$tmp/base.img" "$tmp/nvme.img" && cp "$tmp/base.img" "$tmp/vda.img" &&
	cp "$tmp/base.img" "$tmp/ro.img" && truncate -s 640M "$tmp/big.img" && ok=1
result $ok "three $SIZE-byte images with the pattern, and the expected result"
[ $ok = 1 ] || { echo "not ok 1 blkdev-file"; exit 1; }

# the host: loop devices over copies (root only)
loops=""
host_ok=skip
if [ "$(id -u)" = 0 ] && command -v losetup > /dev/null; then
	for f in a b ro big; do
		cp "$tmp/base.img" "$tmp/host-$f.img"
		ro=""
		[ $f = ro ] && ro=-r
		[ $f = big ] && ro=-r && rm -f "$tmp/host-big.img" && truncate -s 640M "$tmp/host-big.img"
		l=$(losetup $ro -f --show "$tmp/host-$f.img" 2> "$tmp/losetup.log") || break
		loops="$loops $l"
	done
fi
set -- $loops
if [ $# = 4 ]; then
	"$PROG" $SIZE $SEED "$1" "$2" "$3" "$4" > "$tmp/host.out" 2>&1
	st=$?
	for l in $loops; do losetup -d "$l"; done
	host_ok=0
	[ $st = 0 ] && cmp "$tmp/host-a.img" "$tmp/expected.img" > "$tmp/host-cmp.log" 2>&1 &&
		cmp "$tmp/host-b.img" "$tmp/expected.img" >> "$tmp/host-cmp.log" 2>&1 &&
		cmp "$tmp/host-ro.img" "$tmp/base.img" >> "$tmp/host-cmp.log" 2>&1 && host_ok=1
	[ $host_ok = 1 ] || cat "$tmp/host.out" >> "$tmp/host-cmp.log"
	result $host_ok "on the host (loop devices): every check passes, the images are as expected" \
		"$tmp/host-cmp.log"
else
	for l in $loops; do losetup -d "$l"; done
	result skip "on the host (loop devices)" "needs root and losetup"
fi

PAGODA_RUN_VERBOSE=1 tools/pagoda-run --disk "nvme:$tmp/nvme.img" --disk "virtio:$tmp/vda.img" \
	--disk "virtio:ro:$tmp/ro.img" --disk "nvme:$tmp/big.img" \
	"$PROG" $SIZE $SEED /dev/nvme0n1 /dev/vda /dev/vdb /dev/nvme1n1 \
	> "$tmp/pagoda.out" 2> "$tmp/console.log"
st=$?
ok=0
[ $st = 0 ] && ! grep -q 'not ok' "$tmp/pagoda.out" && ok=1
result $ok "on Pagoda: every check passes on NVMe, virtio-blk and a read-only virtio-blk (exit status $st)" \
	"$tmp/pagoda.out"

if [ "$host_ok" = skip ]; then
	result skip "the same output on the host and on Pagoda" "no host run"
else
	ok=0
	diff -u "$tmp/host.out" "$tmp/pagoda.out" > "$tmp/diff.log" 2>&1 && ok=1
	result $ok "the same output on the host and on Pagoda" "$tmp/diff.log"
fi

ok=0
grep -E '\] (BUG|Oops|Kernel panic)' "$tmp/console.log" > "$tmp/bad.log"
[ ! -s "$tmp/bad.log" ] && ok=1
result $ok "no kernel BUG, Oops or panic" "$tmp/bad.log"

ok=0
cmp "$tmp/nvme.img" "$tmp/expected.img" > "$tmp/cmp.log" 2>&1 &&
	cmp "$tmp/vda.img" "$tmp/expected.img" >> "$tmp/cmp.log" 2>&1 && ok=1
result $ok "after QEMU: the NVMe and virtio-blk images hold exactly what was written" "$tmp/cmp.log"

ok=0
cmp "$tmp/ro.img" "$tmp/base.img" > "$tmp/cmp-ro.log" 2>&1 && ok=1
result $ok "the read-only image is untouched" "$tmp/cmp-ro.log"

[ $failed = 0 ] && echo "ok 1 blkdev-file" || echo "not ok 1 blkdev-file"
exit $failed
