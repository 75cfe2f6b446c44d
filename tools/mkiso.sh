#!/bin/sh
# mkiso.sh OUT.iso ESP.img
# A hybrid ISO: the FAT ESP image is appended as GPT partition 2 (type EFI
# System) and is also the El Torito EFI boot image, so the same file boots
# from a CD (-cdrom) and from a USB stick written with dd.
set -e
out=$1 esp=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "Pagoda boot image: the system is on the EFI system partition." > "$root/README.TXT"
xorriso -as mkisofs -quiet -o "$out" -R -J -V PAGODA \
	-append_partition 2 C12A7328-F81F-11D2-BA4B-00A0C93EC93B "$esp" \
	-appended_part_as_gpt \
	-e --interval:appended_partition_2:all:: -no-emul-boot \
	"$root"
