#!/bin/sh
# Capture the ACPI tables QEMU + OVMF give Pagoda, for the host tests:
#   tools/acpi-capture.sh MACHINE OUTDIR [QEMU ARGS...]
# boots build/pagoda.iso with `acpi=dump` on -machine MACHINE, then writes
# each table the kernel dumped (tables with a valid checksum, the DSDT and
# the RSDP) to OUTDIR/SIG-PHYS.bin and their list to OUTDIR/tables.txt
# ("PHYS FILE" per line). Used once per machine type; the files are
# committed under tests/host/data/acpi/.
set -eu
machine=$1
out=$2
shift 2
log=$(mktemp)
vars=$(mktemp)
trap 'rm -f "$log" "$vars"' EXIT
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$vars"
timeout 120 qemu-system-x86_64 -machine "$machine" -cpu max -m 512M -smp 1 -no-reboot \
	-display none -monitor none -serial "file:$log" -nic none \
	-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
	-drive "if=pflash,format=raw,unit=1,file=$vars" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-fw_cfg name=opt/pagoda/cmdline,string=acpi=dump -cdrom build/pagoda.iso "$@" || true
mkdir -p "$out"
: > "$out/tables.txt"
tr -d '\r' < "$log" | grep 'acpi-dump: ' | sed 's/^.*acpi-dump: //' | {
	file=""
	while read -r a b c; do
		case $a in
		end) break ;;
		*:) printf '%s' "$b" >> "$out/$file.hex" ;;
		*)	file="$a-$b"
			: > "$out/$file.hex"
			echo "$b $file.bin" >> "$out/tables.txt" ;;
		esac
	done
}
for h in "$out"/*.hex; do
	xxd -r -p "$h" > "${h%.hex}.bin"
	rm -f "$h"
done
cat "$out/tables.txt"
