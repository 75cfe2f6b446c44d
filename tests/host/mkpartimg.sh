#!/bin/sh
# Partition-table images made by the standard tools, for tests/host/test_partitions.c:
#   DIR/NAME.img      the disk image (sparse)
#   DIR/NAME.expect   what fdisk (util-linux) lists for it, one partition a line:
#                     "number start blocks type-uuid-or-id uuid-or-boot name"
#                     with start/blocks in the image's logical blocks
# Images: GPT by sgdisk (512-byte blocks), GPT by fdisk -b 4096, MBR with
# logical partitions by sfdisk (512) and by fdisk -b 4096.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

listing() {	# listing IMG BS COLUMNS
	fdisk -b "$2" -l -o "$3" "$1" | awk -v img="$1" '
		index($1, img) == 1 {
			n = substr($1, length(img) + 1)
			$1 = n
			print
		}'
}

new() {		# new IMG SIZE
	rm -f "$1"
	truncate -s "$2" "$1"
}

new gpt-sgdisk-512.img 8M
sgdisk -o -U 5f8b3c1e-1d2a-4c3b-9e4f-0a1b2c3d4e5f \
	-n 1:2048:+1M -t 1:8300 -c 1:root \
	-n 2:0:+2M -t 2:ef00 -c 2:"EFI system" \
	-n 4:0:0 -t 4:8200 -c 4:swap gpt-sgdisk-512.img >/dev/null
listing gpt-sgdisk-512.img 512 Device,Start,Sectors,Type-UUID,UUID,Name > gpt-sgdisk-512.expect

new gpt-fdisk-4k.img 16M
printf 'g\nn\n1\n\n+4M\nn\n2\n\n+2M\nt\n2\n19\nn\n3\n\n\nw\n' |
	fdisk -b 4096 gpt-fdisk-4k.img >/dev/null 2>&1
listing gpt-fdisk-4k.img 4096 Device,Start,Sectors,Type-UUID,UUID,Name > gpt-fdisk-4k.expect

new mbr-sfdisk-512.img 8M
sfdisk -q mbr-sfdisk-512.img >/dev/null <<'SCRIPT'
label: dos
label-id: 0x12345678
start=2048, size=2048, type=83, bootable
start=4096, size=10240, type=5
start=6144, size=2048, type=83
start=10240, size=2048, type=82
start=14336, size=1024, type=c
SCRIPT
listing mbr-sfdisk-512.img 512 Device,Start,Sectors,Id,Boot > mbr-sfdisk-512.expect

new mbr-fdisk-4k.img 16M
printf 'o\nn\np\n1\n\n+2M\nn\ne\n2\n\n\nn\n\n+2M\nn\n\n+1M\nw\n' |
	fdisk -b 4096 mbr-fdisk-4k.img >/dev/null 2>&1
listing mbr-fdisk-4k.img 4096 Device,Start,Sectors,Id,Boot > mbr-fdisk-4k.expect

for f in *.expect; do
	[ -s "$f" ] || { echo "mkpartimg: $f is empty (tool failed?)" >&2; exit 1; }
done
touch stamp
