#!/bin/sh
# mkbadelf.sh GOOD.elf DYNAMIC.elf OUTDIR
# Malformed variants of a good static program, for exec's ENOEXEC tests:
#   bad_magic.elf       first byte of the magic changed
#   bad_machine.elf     e_machine = 40 (ARM)
#   bad_phentsize.elf   e_phentsize = 32
#   truncated.elf       cut after 4 KiB: segments lie past the end of the file
#   entry_outside.elf   e_entry = 0x10, in no executable segment
#   dynamic.elf         a dynamically linked program (PT_INTERP): no loader here
set -e
good=$1 dyn=$2 out=$3
mkdir -p "$out"
patch() {	# patch FILE OFFSET OCTAL-ESCAPED-BYTES
	# shellcheck disable=SC2059 # $3 is octal escapes on purpose
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
for n in bad_magic bad_machine bad_phentsize entry_outside; do
	cp "$good" "$out/$n.elf"
done
patch "$out/bad_magic.elf" 0 'X'
patch "$out/bad_machine.elf" 18 '\050\000'
patch "$out/bad_phentsize.elf" 54 '\040\000'
patch "$out/entry_outside.elf" 24 '\020\000\000\000\000\000\000\000'
head -c 4096 "$good" > "$out/truncated.elf"
cp "$dyn" "$out/dynamic.elf"
chmod 755 "$out"/*.elf
