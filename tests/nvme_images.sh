#!/bin/sh
# The NVMe scenario of tests/check.sh (ktest=nvme, tests/kernel/ktest_nvme.c).
#
#   sh tests/nvme_images.sh make DIR        fresh zeroed images and the blkdebug rules in DIR
#   sh tests/nvme_images.sh args DIR        the ktest-runner --qemu-arg list attaching them
#   sh tests/nvme_images.sh check LOG DIR   KTAP: each image equals what the kernel says it
#                                           wrote (its "nvme-image:" lines in LOG), rebuilt
#                                           with build/tools/blk-pattern; zeroes elsewhere
#
# Controllers, by serial number:
#   pagoda-multi  namespaces 1 (a.img, 64 MiB) and 2 (b.img, 8 MiB), and 3 with
#                 8 bytes of metadata per block (the driver must refuse it)
#   pagoda-4k     c.img (32 MiB) with 4096-byte logical blocks, one MSI-X vector
#   pagoda-err    d.img (8 MiB) behind blkdebug: reads of sector 2048 and writes of
#                 sector 4096 fail with EIO; MDTS 3 (32 KiB per command)
#   pagoda-dead   a null backend; the test makes its reset fail
set -u
B=${PAGODA_BUILD:-build}
cmd=${1:-}

make_images() {	# make_images DIR
	d=$1
	mkdir -p "$d"
	rm -f "$d"/a.img "$d"/b.img "$d"/c.img "$d"/d.img
	truncate -s 64M "$d/a.img" && truncate -s 8M "$d/b.img" &&
		truncate -s 32M "$d/c.img" && truncate -s 8M "$d/d.img" || exit 1
	cat > "$d/blkdebug.conf" <<'EOF'
[inject-error]
event = "read_aio"
errno = "5"
sector = "2048"

[inject-error]
event = "write_aio"
errno = "5"
sector = "4096"
EOF
}

qemu_args() {	# qemu_args DIR: "--qemu-arg X ..." on one line (no blanks in DIR)
	d=$1
	for a in \
		-drive "file=$d/a.img,if=none,id=na,format=raw" \
		-drive "file=$d/b.img,if=none,id=nb,format=raw" \
		-blockdev null-co,node-name=nmeta,size=8388608,read-zeroes=on \
		-device nvme,id=nvmem,serial=pagoda-multi \
		-device nvme-ns,bus=nvmem,nsid=1,drive=na \
		-device nvme-ns,bus=nvmem,nsid=2,drive=nb \
		-device nvme-ns,bus=nvmem,nsid=3,drive=nmeta,ms=8 \
		-drive "file=$d/c.img,if=none,id=nc,format=raw" \
		-device nvme,serial=pagoda-4k,drive=nc,logical_block_size=4096,physical_block_size=4096,msix_qsize=1 \
		-drive "file=blkdebug:$d/blkdebug.conf:$d/d.img,if=none,id=nd,format=raw" \
		-device nvme,serial=pagoda-err,drive=nd,mdts=3 \
		-blockdev null-co,node-name=ndead,size=1048576,read-zeroes=on \
		-device nvme,serial=pagoda-dead,drive=ndead; do
		printf -- '--qemu-arg %s ' "$a"
	done
	echo
}

# check_image N DESC IMAGE SERIAL NSID LOG TMP: rebuild the image from the log, cmp.
check_image() {
	n=$1 desc=$2 img=$3 serial=$4 nsid=$5 log=$6 tmp=$7
	size=$(stat -c %s "$img") || return 1
	rm -f "$tmp"
	truncate -s "$size" "$tmp"
	extents=0
	grep -a "nvme-image: $serial $nsid " "$log" | sed 's/.*nvme-image: //' > "$tmp.lines"
	while read -r _ _ _ seed _ range; do
		start=${range%+*} count=${range#*+}
		"$B/tools/blk-pattern" "$seed" "$start" "$count" |
			dd of="$tmp" bs=512 seek="$start" conv=notrunc status=none || return 1
		extents=$((extents + 1))
	done < "$tmp.lines"
	if [ "$extents" -gt 0 ] && cmp "$img" "$tmp" > "$tmp.cmp" 2>&1; then
		echo "    ok $n $desc ($extents extents)"
		return 0
	fi
	echo "    not ok $n $desc"
	[ "$extents" -gt 0 ] || echo "    # no nvme-image lines for $serial $nsid in $log"
	sed 's/^/    # /' "$tmp.cmp" 2>/dev/null
	return 1
}

check() {	# check LOG DIR
	log=$1 d=$2 failed=0
	tmp=$(mktemp)
	echo "KTAP version 1"
	echo "1..1"
	echo "    KTAP version 1"
	echo "    # Subtest: nvme-images"
	echo "    1..3"
	check_image 1 "pagoda-multi namespace 1 holds exactly what the kernel wrote" "$d/a.img" \
		pagoda-multi 1 "$log" "$tmp" || failed=1
	check_image 2 "pagoda-multi namespace 2 holds exactly what the kernel wrote" "$d/b.img" \
		pagoda-multi 2 "$log" "$tmp" || failed=1
	check_image 3 "pagoda-4k (4096-byte blocks) holds exactly what the kernel wrote" "$d/c.img" \
		pagoda-4k 1 "$log" "$tmp" || failed=1
	rm -f "$tmp" "$tmp.lines" "$tmp.cmp"
	[ $failed = 0 ] && echo "ok 1 nvme-images" || echo "not ok 1 nvme-images"
	exit $failed
}

case $cmd in
make) make_images "$2" ;;
args) qemu_args "$2" ;;
check) check "$2" "$3" ;;
*) echo "usage: $0 make DIR | args DIR | check LOG DIR" >&2; exit 2 ;;
esac
