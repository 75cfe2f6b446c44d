#!/bin/sh
# `make check`: every test tier, one tally, one last line "N passed, M failed".
#   1. host unit tests (ASan + UBSan)           $HOST_TEST_BINS
#   2. in-kernel KTAP suites under QEMU, 5-level paging (-cpu max) and 4-level (no5lvl)
#   3. crash scenarios: deliberate kernel faults whose oops must name the
#      right CR2, error bits, function and page-walk levels
#   4. the loader given a corrupt kernel ELF must say so and return to the firmware
#   5. user space: the test programs of userland/tests.list on the host Linux,
#      then in QEMU (`utest`, 5- and 4-level paging: the userland init forks and
#      execs each one and fails it unless its status is as expected, the free
#      page count is back and the memory audit is clean), then the differential
#      check that each printed the same on both; the `make run` demo; and a
#      tools/pagoda-run smoke test
# Every QEMU run is judged by build/tools/ktest-runner (tools/ktest-runner.c).
set -u
B=build
R=$B/tools/ktest-runner
TALLY=$B/check.tally
LOGS=$B/logs
ISO=$B/pagoda.iso
rm -f "$TALLY"
mkdir -p "$LOGS"

host() {	# host NAME COMMAND...
	name=$1
	shift
	$R --host --name "$name" --tally "$TALLY" --log "$LOGS/$name.log" -- "$@"
}

qemu() {	# qemu NAME RUNNER-ARGS...
	name=$1
	shift
	$R --name "$name" --tally "$TALLY" --log "$LOGS/$name.log" --qemu-arg -nic --qemu-arg none "$@"
}

echo "== host unit tests"
host layering sh tests/layering.sh
for bin in $HOST_TEST_BINS; do
	host "host-$(basename "$bin" | sed 's/^test_//')" "$bin"
done

echo "== in-kernel suites, 5-level paging"
# The block suite's disks must be logged as Linux logs them (docs/block-layer.md).
qemu ktest-5level --iso "$ISO" --cmdline "ktest" --expect-levels 5 \
	--expect '^testblk[0-9]+: 4\.0 MiB, 8192 512-byte logical blocks \(physical 512\)$' \
	--expect '^testblk[0-9]+: 4\.0 MiB, 1024 4096-byte logical blocks \(physical 4096\)$' \
	--expect '^testblk[0-9]+: p1 p2 \(GPT\)$' \
	--expect '^testblk[0-9]+: p1 p2 < p5 p6 > \(MBR\)$' \
	--expect '^I/O error, dev testblk[0-9]+, sector 2048 op 0x1:\(WRITE\) flags 0x0$' \
	--expect '^timeout error, dev testblk[0-9]+, sector 0 op 0x0:\(READ\) flags 0x0$'
echo "== in-kernel suites, 4-level paging"
qemu ktest-4level --iso "$ISO" --cmdline "ktest no5lvl" --expect-levels 4

# The test window of kernel/crashtest.c: vmalloc base + 3 GiB, the page after it.
echo "== crash scenarios"
qemu crash-unmapped-5level --iso "$ISO" --cmdline "crash=unmapped" --expect-oops \
	--expect-levels 5 \
	--expect '^BUG: unable to handle page fault at address ffa00000c0001000$' \
	--expect '^#PF: error code 0x0000: not-present page, read access, kernel mode' \
	--expect '^RIP: 0008:[0-9a-f]{16} crash_unmapped_read\+0x' \
	--expect '^  L5 PML5 \(pgd\) \[416\] .* P RW' \
	--expect '^  L4 PML4 \(p4d\) \[  0\] .* P RW' \
	--expect '^  L3 PDPT \(pud\) \[  3\] .* P RW' \
	--expect '^  L2 PD   \(pmd\) \[  0\] .* P RW' \
	--expect '^  L1 PT   \(pte\) \[  1\] .* = 0000000000000000 ' \
	--expect '^  \[<[0-9a-f]{16}>\] crashtest_run\+0x'
qemu crash-unmapped-4level --iso "$ISO" --cmdline "crash=unmapped no5lvl" --expect-oops \
	--expect-levels 4 \
	--expect '^BUG: unable to handle page fault at address ffffc900c0001000$' \
	--expect '^#PF: error code 0x0000: not-present page, read access, kernel mode' \
	--expect '^RIP: 0008:[0-9a-f]{16} crash_unmapped_read\+0x' \
	--expect '^  L4 PML4 \(pgd/p4d\) \[402\] .* P RW' \
	--expect '^  L3 PDPT \(pud\) \[  3\] .* P RW' \
	--expect '^  L1 PT   \(pte\) \[  1\] .* = 0000000000000000 '
qemu crash-noncanonical --iso "$ISO" --cmdline "crash=noncanonical" --expect-oops \
	--expect '^Oops: general protection fault in kernel mode' \
	--expect '^BUG: general protection fault, probably for non-canonical address dead000000000000$' \
	--expect '^RIP: 0008:[0-9a-f]{16} crash_noncanonical_write\+0x' \
	--expect 'address is non-canonical for 5-level paging: no walk'
qemu crash-rodata-write --iso "$ISO" --cmdline "crash=rodata-write no5lvl" --expect-oops \
	--expect '^#PF: error code 0x0003: present \(protection violation on a\) page, write access, kernel mode' \
	--expect '^RIP: 0008:[0-9a-f]{16} crash_rodata_write\+0x' \
	--expect '^  L1 PT   \(pte\) \[...\] .* = 8[0-9a-f]{15} P (A )?G NX pfn='
qemu crash-stack-overflow --iso "$ISO" --cmdline "crash=stack-overflow" --expect-oops \
	--expect '^Oops: double fault in kernel mode' \
	--expect '^BUG: kernel stack overflow: CR2 is in the boot stack.s guard page' \
	--expect '^RIP: 0008:[0-9a-f]{16} crash_stack_overflow\+0x' \
	--expect '^  L1 PT   \(pte\) \[...\] .* = 0000000000000000 none'

qemu crash-sleep-in-atomic --iso "$ISO" --cmdline "crash=sleep-in-atomic" --expect-oops \
	--expect '^Kernel panic - not syncing: BUG: sleeping function called from invalid context at kernel/locking/mutex.c:[0-9]+$' \
	--expect '^in_atomic\(\): 1, irqs_disabled\(\): 0, pid: 0, name: swapper' \
	--expect '^  \[<[0-9a-f]{16}>\] crash_sleep_in_atomic\+0x'

echo "== loader: corrupt kernel ELF"
qemu loader-corrupt-elf --iso "$B/test/corrupt-kernel.iso" --expect-loader-error \
	--expect 'pagoda-loader: error: .*kernel.elf is not a valid kernel: a segment.s data lies outside the file' \
	--expect 'pagoda-loader: returning to the firmware'
qemu loader-not-elf --iso "$B/test/not-elf.iso" --expect-loader-error \
	--expect 'pagoda-loader: error: .*kernel.elf is not a valid kernel: bad ELF magic'

echo "== user space: the test programs on the host Linux (reference outputs)"
mkdir -p "$LOGS/userland-host"
sed -e 's/#.*//' userland/tests.list | while read -r path rest; do
	name=${path##*/}
	case $name in ''|*.elf) continue ;; esac	# malformed ELFs: Pagoda-only
	directives="" args=""
	for w in $rest; do
		case $w in
		expect-*=*|timeout=*) directives="$directives $w" ;;
		*) args="$args $w" ;;
		esac
	done
	# shellcheck disable=SC2086 # word lists on purpose
	host "userland-host-$name" sh userland/host-run.sh "$LOGS/userland-host/$name.out" \
		"$name" $directives -- "$B/userland/$name" $args
done

echo "== user space in QEMU, 5-level paging"
qemu utest-5level --iso "$ISO" --cmdline "utest" --expect-levels 5 --timeout 900
echo "== user space in QEMU, 4-level paging"
qemu utest-4level --iso "$ISO" --cmdline "utest no5lvl" --expect-levels 4 --timeout 900
echo "== user space: the same output on Linux and Pagoda"
for m in 5level 4level; do
	host "differential-$m" sh userland/diff-outputs.sh "$LOGS/utest-$m.log" \
		"$LOGS/userland-host" userland/tests.list "differential-$m"
done

echo "== make run's demo (init runs /demo.list)"
qemu demo --iso "$ISO" --cmdline "demo" --timeout 120 \
	--expect '^ok 1 demo$' --expect '^# init: 1 programs, 0 failed'

echo "== tools/pagoda-run"
$R --host --name pagoda-run --timeout 300 --tally "$TALLY" --log "$LOGS/pagoda-run.log" \
	-- sh tests/pagoda_run.sh

echo "== summary"
$R --summarize "$TALLY"
