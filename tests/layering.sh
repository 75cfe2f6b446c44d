#!/bin/sh
# Architecture rules that a grep can check (STYLE.md rules 1 and 5), as KTAP:
#   - nothing under mm/ or include/mm/ includes an arch header or names X86_*
#   - nothing under mm/ sees the x86 page-fault error code bits
cd "$(dirname "$0")/.."
n=0 failed=0
check() {	# check "description" command...
	desc=$1
	shift
	n=$((n + 1))
	out=$("$@")
	if [ -n "$out" ]; then
		echo "    not ok $n $desc"
		echo "$out" | sed 's/^/    # /'
		failed=1
	else
		echo "    ok $n $desc"
	fi
}
echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: layering"
echo "    1..3"
check "mm/ includes no arch header" grep -n '#include <asm/' mm/*.c include/mm/*.h
check "mm/ uses no x86 page-table bit names" grep -n 'X86_PTE_\|X86_PF_\|_PAGE_NX\b' mm/*.c include/mm/*.h
check "mm/ uses no inline assembly" grep -n '__asm__\|asm volatile' mm/*.c include/mm/*.h
[ $failed = 0 ] && echo "ok 1 layering" || echo "not ok 1 layering"
exit $failed
