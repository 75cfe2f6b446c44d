#!/bin/sh
# The nop-site check (tools/check-nop-sites.sh) as KTAP: it passes on the
# kernel and on fixtures whose stac/clac all come from the recording macros
# (C and nasm), and it fails - naming the culprit - on a fixture with a bare
# clac and on one whose record names another instruction
# (tests/nop_sites/, built by tests/nop_sites/nop_sites.mk).
cd "$(dirname "$0")/.."
B=build
n=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM

check() {	# check "description" WANT-STATUS GREP-PATTERN ELF
	desc=$1 want=$2 pattern=$3 elf=$4
	n=$((n + 1))
	sh tools/check-nop-sites.sh "$elf" > "$out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -q -e "$pattern" "$out"; then
		echo "    ok $n $desc"
	else
		echo "    not ok $n $desc"
		echo "    # exit status $got (want $want), output:"
		sed 's/^/    # /' "$out"
		failed=1
	fi
}

echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: nop_sites"
echo "    1..4"
check "every stac/clac of kernel.elf is a recorded nop site" 0 \
	'^check-nop-sites: [1-9][0-9]* stac/clac in .text, [1-9][0-9]* recorded sites$' "$B/kernel.elf"
check "stac/clac recorded by the C and nasm macros pass" 0 \
	'^check-nop-sites: 4 stac/clac in .text, 4 recorded sites$' "$B/test/nop-sites-good.elf"
check "a bare clac fails the check and is named" 1 \
	'clac at [0-9a-f]* (fixture_unrecorded) is not a recorded nop site' \
	"$B/test/nop-sites-unrecorded.elf"
check "a record on another instruction fails the check" 1 \
	'nop site [0-9a-f]* (fixture_bad_record, length 3, feature 1) is not a stac/clac' \
	"$B/test/nop-sites-bad-record.elf"
[ $failed = 0 ] && echo "ok 1 nop_sites" || echo "not ok 1 nop_sites"
exit $failed
