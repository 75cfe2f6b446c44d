#!/bin/sh
# tools/matrix.sh - the boot matrix: build/pagoda.iso booted on many QEMU
# machines, each running the `demo` command line (make run's default) and
# powering off by itself. docs/boot-matrix.md explains the choice of rows.
#
#   tools/matrix.sh --full  [--tally FILE]   `make matrix`: 42 boots, several minutes
#   tools/matrix.sh --short [--tally FILE]   inside `make check`: 5 boots
#
# Each boot is one build/tools/ktest-runner run; it passes when QEMU exits
# through the kernel's clean power-off, the demo passed and the boot log's
# protection line is the one expected for the CPU model. The table
# (config -> result, time to kernel entry, total time) is printed and
# written to build/logs/matrix.md (--full) or build/logs/matrix-short.md;
# the consoles go to build/logs/matrix/NAME.log.
set -u

# ---------------------------------------------------------------------------
# Power-off: every boot of the matrix runs without QEMU's isa-debug-exit
# device, so the kernel must end QEMU itself by ACPI S5 power-off; the
# runner accepts QEMU's exit status 0 only after the kernel's power-off line
# (ktest-runner --no-debug-exit). One line for `make matrix` and the short
# matrix of `make check` alike:
POWEROFF_ARGS="--no-debug-exit"
# ---------------------------------------------------------------------------

B=build
R=$B/tools/ktest-runner
ISO=$B/pagoda.iso
LOGS=$B/logs
mode=${1:-}
tally=""
[ $# -ge 1 ] && shift
case $mode in
--full) out=$LOGS/matrix.md ;;
--short) out=$LOGS/matrix-short.md ;;
*) echo "usage: $0 --full|--short [--tally FILE]" >&2; exit 2 ;;
esac
if [ "${1:-}" = "--tally" ] && [ $# -eq 2 ]; then
	tally=$2
elif [ $# -ne 0 ]; then
	echo "usage: $0 --full|--short [--tally FILE]" >&2
	exit 2
fi
mkdir -p "$LOGS/matrix"

# The protection line each CPU model must print under TCG (QEMU 7.2): what
# CPUID reports there, so a model that loses or gains a feature shows up.
protections() {	# protections CPU-MODEL
	case $1 in
	max|max,*|Skylake-Client-v4|EPYC) echo 'NX WP SMEP SMAP; CPU lacks: -' ;;
	Nehalem|qemu64) echo 'NX WP; CPU lacks: SMEP SMAP' ;;
	qemu64,-nx) echo 'WP; CPU lacks: NX SMEP SMAP' ;;
	*) echo '' ;;
	esac
}

# The FPU save instruction each model must use.
fpu_insn() {	# fpu_insn CPU-MODEL
	case $1 in
	max,-xsaveopt) echo xsave ;;
	max|Skylake-Client-v4|EPYC) echo xsaveopt ;;
	*) echo fxsave ;;
	esac
}

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT INT TERM

# One row: machine cpu memory smp boot-device.
row() {
	echo "$*" >> "$rows"
}

if [ "$mode" = --short ]; then
	# Every CPU model, boot device, machine type, the RAM extremes and
	# -smp 4 at least once.
	row q35 max 6G 4 nvme
	row pc Skylake-Client-v4 2G 1 usb
	row q35 EPYC 1G 4 virtio
	row pc Nehalem 128M 1 cdrom
	row q35 qemu64 512M 1 cdrom
else
	# Every machine x CPU model x boot device (40 rows); RAM and CPU count
	# rotate so every pair of (machine, CPU, device, RAM, smp) values
	# occurs: RAM = mems[(c + d) % 4], smp = smps[(c + d + m) % 2].
	m=0
	for machine in q35 pc; do
		c=0
		for cpu in max Skylake-Client-v4 EPYC Nehalem qemu64; do
			d=0
			for dev in cdrom usb nvme virtio; do
				mem=$(echo "128M 512M 2G 6G" | cut -d' ' -f$(((c + d) % 4 + 1)))
				smp=$(echo "1 4" | cut -d' ' -f$(((c + d + m) % 2 + 1)))
				row "$machine" "$cpu" "$mem" "$smp" "$dev"
				d=$((d + 1))
			done
			c=$((c + 1))
		done
		m=$((m + 1))
	done
	# Two CPUs outside QEMU's named models: no NX; XSAVE without XSAVEOPT.
	row q35 qemu64,-nx 512M 1 cdrom
	row q35 max,-xsaveopt 512M 1 cdrom
fi

total=$(wc -l < "$rows")
table=$(mktemp)
trap 'rm -f "$rows" "$table"' EXIT INT TERM
passed=0 failed=0 i=0 start=$(date +%s)
while read -r machine cpu mem smp dev; do
	i=$((i + 1))
	name=$(echo "matrix-$machine-$cpu-$mem-smp$smp-$dev" | tr ',' '_')
	prot=$(protections "$cpu")
	echo "== [$i/$total] $machine, -cpu $cpu, $mem, -smp $smp, boot from $dev"
	# shellcheck disable=SC2086 # POWEROFF_ARGS is a word list on purpose
	"$R" --name "$name" ${tally:+--tally "$tally"} --log "$LOGS/matrix/$name.log" \
		--iso "$ISO" --boot-from "$dev" --machine "$machine" --cpu "$cpu" \
		--memory "$mem" --smp "$smp" --qemu-arg -nic --qemu-arg none $POWEROFF_ARGS \
		--cmdline demo --timeout 240 \
		--expect '^ok 1 demo$' --expect '^# init: 1 programs, 0 failed' \
		${prot:+--expect "^cpu: protections on: $prot\$"} \
		--expect "^cpu: in use: $(fpu_insn "$cpu") " \
		--expect '^pagoda: done, powering off$' < /dev/null > "$LOGS/matrix/$name.out" 2>&1
	status=$?
	cat "$LOGS/matrix/$name.out"
	times=$(sed -n "s/^# $name: kernel entry at \([0-9.]*\) s, finished at \([0-9.]*\) s$/\1 \2/p" \
		"$LOGS/matrix/$name.out")
	entry=${times% *} end=${times#* }
	[ -n "$times" ] || entry=- end=-
	counts=$(sed -n "s/^# $name: \([0-9]*\) passed, \([0-9]*\) failed.*/\1\/\2/p" \
		"$LOGS/matrix/$name.out" | tail -n 1)
	if [ $status -eq 0 ]; then
		result="ok"
		passed=$((passed + 1))
	else
		result="FAILED (${counts:-no result}; see $LOGS/matrix/$name.log)"
		failed=$((failed + 1))
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$machine" "$cpu" "$mem" "$smp" \
		"$dev" "$result" "$entry" "$end" >> "$table"
done < "$rows"
elapsed=$(($(date +%s) - start))

{
	echo "# Boot matrix ($mode): $passed of $total boots passed, $elapsed s"
	echo
	echo "ISO: $ISO, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
		"$(qemu-system-x86_64 --version | head -n 1), TCG, $(date -u +%Y-%m-%d)."
	echo "Each boot runs \`demo\` and must power off by itself; times are seconds"
	echo "from QEMU start to the kernel's first line and to QEMU's exit."
	echo
	echo "| machine | -cpu | RAM | -smp | boot from | result | kernel entry (s) | total (s) |"
	echo "|---|---|---|---|---|---|---|---|"
	cat "$table"
} > "$out"
echo
cat "$out"
echo
echo "matrix: $passed passed, $failed failed (table in $out)"
[ $failed -eq 0 ]
