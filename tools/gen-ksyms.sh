#!/bin/sh
# Turn `nm -n --defined-only kernel.elf` output (or /dev/null) into an assembly
# file holding the kernel's text symbol table, sorted by address:
#   ksyms_count          number of entries
#   ksyms_addrs[i]       address of symbol i
#   ksyms_name_offs[i]   offset of its NUL-terminated name in ksyms_names
# kernel/ksyms.c looks addresses up in it for backtraces.
in=${1:--}
cat "$in" | awk 'BEGIN { n = 0 }

NF == 3 && $2 ~ /^[tTwW]$/ && $3 !~ /\./ && $3 !~ /^ksyms_/ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count"
	print "ksyms_count:\t.quad " n+0
	print "\t.globl ksyms_addrs"
	print "ksyms_addrs:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "\t.globl ksyms_name_offs"
	print "ksyms_name_offs:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "\t.globl ksyms_names"
	print "ksyms_names:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
	print "\t.section .note.GNU-stack, \"\", @progbits"
}'
