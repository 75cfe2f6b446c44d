#!/bin/sh
# tools/check-nop-sites.sh - every stac and clac of a kernel image is a
# recorded nop site (asm/alternative.h), and every record is one of them.
#
#   tools/check-nop-sites.sh KERNEL.ELF
#
# A stac or clac that is not recorded would run unpatched on a CPU without
# SMAP and raise #UD there; the Makefile runs this on every link of
# kernel.elf, so such a site fails the build. The records are read from the
# range __nop_sites_start..__nop_sites_end (16 bytes each: address, length,
# feature, padding); the instructions from a disassembly of .text.
# Prints what it found; exits 1 on a mismatch, 2 on a usage error.
set -eu

if [ $# -ne 1 ] || [ ! -r "$1" ]; then
	echo "usage: $0 KERNEL.ELF" >&2
	exit 2
fi
elf=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

sym() {	# sym NAME: the symbol's address, 16 hex digits
	nm "$elf" | awk -v n="$1" '$3 == n { print $1; found = 1 } END { exit !found }'
}

start=$(sym __nop_sites_start) || { echo "$elf: no __nop_sites_start symbol" >&2; exit 1; }
end=$(sym __nop_sites_end) || { echo "$elf: no __nop_sites_end symbol" >&2; exit 1; }

# Recorded sites, one "address length feature" line each.
if [ "$start" != "$end" ]; then
	objdump -s --start-address="0x$start" --stop-address="0x$end" "$elf" |
	awk '
	/^ [0-9a-f]+ / {	# " ADDR" then 4 groups of 4 bytes in 35 columns, then ASCII
		line = substr($0, length($1) + 3, 35)
		gsub(/ /, "", line)
		hex = hex line
	}
	END {
		for (off = 1; off + 31 <= length(hex); off += 32) {
			rec = substr(hex, off, 32)
			addr = ""
			for (b = 7; b >= 0; b--) addr = addr substr(rec, 2 * b + 1, 2)
			printf "%s %d %d\n", addr, hexbyte(substr(rec, 17, 2)), hexbyte(substr(rec, 19, 2))
		}
	}
	function hexbyte(h) {
		return index("0123456789abcdef", substr(h, 1, 1)) * 16 - 16 + \
		       index("0123456789abcdef", substr(h, 2, 1)) - 1
	}' | sort > "$tmp/sites"
else
	: > "$tmp/sites"
fi

# Every stac and clac in .text, one "address mnemonic" line each. The
# disassembly is of a copy without symbols: objdump shows the bytes after a
# symbol typed "object" as data, which could hide an instruction.
objcopy --strip-all "$elf" "$tmp/stripped.elf"
objdump -d --no-show-raw-insn -j .text "$tmp/stripped.elf" | awk '
$2 == "stac" || $2 == "clac" {
	addr = $1
	sub(/:$/, "", addr)
	while (length(addr) < 16) addr = "0" addr
	print addr, $2
}' | sort > "$tmp/insns"

status=0
# An instruction without a record (length 3, feature 1 = SMAP).
while read -r addr insn; do
	if ! grep -q "^$addr 3 1\$" "$tmp/sites"; then
		fn=$(addr2line -f -e "$elf" "0x$addr" | head -n 1)
		echo "$elf: $insn at $addr ($fn) is not a recorded nop site:" \
			"use stac()/clac() (asm/cpu.h) or STAC/CLAC (asm/alternative.inc)" >&2
		status=1
	fi
done < "$tmp/insns"
# A record without its instruction.
while read -r addr len feature; do
	if ! grep -q "^$addr " "$tmp/insns"; then
		fn=$(addr2line -f -e "$elf" "0x$addr" | head -n 1)
		echo "$elf: nop site $addr ($fn, length $len, feature $feature) is not a stac/clac" >&2
		status=1
	fi
done < "$tmp/sites"
echo "check-nop-sites: $(wc -l < "$tmp/insns") stac/clac in .text, $(wc -l < "$tmp/sites") recorded sites"
exit $status
