#!/bin/sh
# The disks of the virtio scenario (tests/check.sh, ktest=virtio;
# tests/kernel/ktest_virtio.c says what each is for).
#
#   sh tests/virtio_images.sh make DIR        fresh images and the blkdebug rules in DIR
#   sh tests/virtio_images.sh args DIR        ktest-runner arguments attaching them
#   sh tests/virtio_images.sh check DIR LOG   KTAP: each image holds exactly the pattern
#                                             ranges the kernel announced in LOG
#
# The kernel announces each range it wrote with a console line
# "virtio-pattern: SERIAL seed S sectors FIRST+COUNT"; the expected image is
# zeros with build/tools/blk-pattern's output at those ranges, compared
# with cmp. The read-only image must still be the pattern the host wrote.
set -u
B=${PAGODA_BUILD:-build}
PATTERN=$B/tools/blk-pattern
RO_SEED=0x7a70ff			# SEED_RO in tests/kernel/ktest_virtio.c

# serial, size in MiB, extra -device properties (in PCI order: pat is vda)
DISKS="pat 64 -
pat2 16 disable-legacy=on
4k 16 logical_block_size=4096,physical_block_size=4096
ro 4 -
err 4 -
direct 8 indirect_desc=off
tmo 4 -
shared 1 vectors=1
novec 1 vectors=0
stuck 4 -
iommu 1 disable-legacy=on,iommu_platform=on
legacy 1 disable-modern=on"
# images the kernel writes and announces (checked); ro is checked against its fill
CHECKED="pat pat2 4k direct shared novec"

make_images() {
	dir=$1
	mkdir -p "$dir"
	echo "$DISKS" | while read -r serial mib props; do
		rm -f "$dir/$serial.img"
		truncate -s "${mib}M" "$dir/$serial.img"
	done
	"$PATTERN" "$RO_SEED" 0 8192 > "$dir/ro.img"
	# reads touching sector 4096 and writes touching sector 6144 fail with EIO (5)
	cat > "$dir/blkdebug.conf" <<-EOF
	[inject-error]
	event = "read_aio"
	errno = "5"
	sector = "4096"

	[inject-error]
	event = "write_aio"
	errno = "5"
	sector = "6144"
	EOF
}

print_args() {
	dir=$1
	n=0
	echo "$DISKS" | while read -r serial mib props; do
		id=vd$n
		case $serial in
		err)	drive="driver=raw,file.driver=blkdebug,file.config=$dir/blkdebug.conf,file.image.filename=$dir/err.img" ;;
		ro)	drive="file=$dir/ro.img,format=raw,readonly=on" ;;
		*)	drive="file=$dir/$serial.img,format=raw" ;;
		esac
		dev="virtio-blk-pci,drive=$id,serial=$serial"
		[ "$props" = - ] || dev="$dev,$props"
		printf -- '--qemu-arg -drive --qemu-arg %s,if=none,id=%s --qemu-arg -device --qemu-arg %s\n' \
			"$drive" "$id" "$dev"
		n=$((n + 1))
	done
}

# check_image DIR LOG SERIAL: 0 when the image is the announced ranges over zeros
check_image() {
	dir=$1 log=$2 serial=$3
	img=$dir/$serial.img
	exp=$dir/$serial.expected
	ranges=$(sed -n "s/^\[ *[0-9.]*\] virtio-pattern: $serial seed \([0-9a-fx]*\) sectors \([0-9]*\)+\([0-9]*\)\$/\1 \2 \3/p" "$log")
	if [ -z "$ranges" ] || echo "$ranges" | awk '$3 == 0 { bad = 1 } END { exit !bad }'; then
		echo "    # $serial: the kernel announced no range, or an empty one"
		return 1
	fi
	rm -f "$exp"
	truncate -s "$(stat -c %s "$img")" "$exp"
	echo "$ranges" | while read -r seed first count; do
		"$PATTERN" "$seed" "$first" "$count" |
			dd of="$exp" bs=512 seek="$first" conv=notrunc status=none
	done
	if ! cmp "$exp" "$img" > "$dir/$serial.cmp" 2>&1; then
		echo "    # $serial: $(cat "$dir/$serial.cmp")"
		return 1
	fi
	echo "    # $serial: $(echo "$ranges" | wc -l) ranges, $(echo "$ranges" |
		awk '{ n += $3 } END { print n }') sectors as announced, zeros elsewhere"
}

check_images() {
	dir=$1 log=$2
	n=0 failed=0
	echo "KTAP version 1"
	echo "1..1"
	echo "    KTAP version 1"
	echo "    # Subtest: virtio-images"
	echo "    1..$(($(echo $CHECKED | wc -w) + 1))"
	for serial in $CHECKED; do
		n=$((n + 1))
		if check_image "$dir" "$log" "$serial"; then
			echo "    ok $n image of $serial holds exactly what the kernel wrote"
		else
			echo "    not ok $n image of $serial holds exactly what the kernel wrote"
			failed=1
		fi
	done
	n=$((n + 1))
	if "$PATTERN" "$RO_SEED" 0 8192 | cmp - "$dir/ro.img" > /dev/null; then
		echo "    ok $n the read-only image is unchanged"
	else
		echo "    not ok $n the read-only image is unchanged"
		failed=1
	fi
	[ $failed = 0 ] && echo "ok 1 virtio-images" || echo "not ok 1 virtio-images"
	return $failed
}

case ${1:-} in
make)	make_images "$2" ;;
args)	print_args "$2" ;;
check)	check_images "$2" "$3" ;;
*)	echo "usage: $0 make DIR | args DIR | check DIR LOG" >&2; exit 2 ;;
esac
