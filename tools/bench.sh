#!/bin/bash
# tools/bench.sh - run Pagoda's benchmarks on Pagoda and on Debian's Linux
# kernel in the same QEMU configuration and write the table to docs/benchmarks.md.
# Called by `make bench` (bench/bench.mk), which builds the inputs first.
#
#   tools/bench.sh BUILD_DIR OUT.md PAGODA_ISO SPEC... [--disk IMG SPEC...]
#
# SPEC is PROG (one row, named PROG) or PROG:ROW,ROW... (one boot of PROG
# prints those rows in that order). The programs after --disk IMG get a fresh
# copy of the raw image IMG as an NVMe disk in each run (both kernels), and
# after the run the files under BUILD_DIR/bench/expect/PROG/ are compared
# with what the copy holds (debugfs dump).
#
# BUILD_DIR/bench/PROG      static musl benchmark programs (bench/*.c)
# BUILD_DIR/bench/initramfs.cpio   the programs at the root of a cpio newc archive
# PAGODA_ISO                Pagoda ISO whose ESP carries that archive as its initrd
#
# Linux side: the kernel package linux-image-cloud-amd64 depends on is fetched
# once with `apt-get download` into BUILD_DIR/bench/linux/ (kept there: never
# fetched again while a .deb is present), unpacked with `dpkg -x`, and booted
# with -kernel/-initrd, rdinit=/PROG and norandmaps (Pagoda does not
# randomize either; placement changes which page tables munmap frees). Pagoda side: the ISO boots under OVMF
# with init=/PROG on the fw_cfg command line. Both: q35, -cpu max, 1 GiB,
# one CPU, -icount shift=0 (1 ns of guest time per guest instruction), and
# for the programs after --disk the same NVMe disk (a fresh copy each run).
#
# A side that cannot run (no network for the kernel package, no user space in
# Pagoda yet, a crash) is reported as "not runnable (reason)" in its column;
# the script fails only on its own usage errors.
#
# Environment: BENCH_BOOT_TIMEOUT (s until the program starts, default 480:
# OVMF under -icount took 100 to over 240 s to start Pagoda's program in December
# 2026, the longer with the NVMe disk attached or the host loaded),
# BENCH_RUN_TIMEOUT (s for a whole QEMU run, default 1200), BENCH_VERBOSE=1
# (echo the consoles), BENCH_REUSE_LOGS=1 (run nothing: rebuild the table from
# the logs of the last run), QEMU, OVMF_CODE, OVMF_VARS.
set -u

usage() {
	echo "usage: $0 BUILD_DIR OUT.md PAGODA_ISO SPEC... [--disk IMG SPEC...]" >&2
	exit 2
}
[ $# -lt 4 ] && usage
BUILD=$1 OUT=$2 PAGODA_ISO=$3
shift 3
ARGS_ALL="$*"
PROGS=() ROWS=() DISK=""
declare -A ROW_PROG PROG_DISK PROG_ROWS
while [ $# -gt 0 ]; do
	if [ "$1" = --disk ]; then
		[ $# -ge 2 ] && [ -f "$2" ] || usage
		DISK=$2
		shift 2
		continue
	fi
	prog=${1%%:*} rows=$prog
	case $1 in *:*) rows=${1#*:} ;; esac
	[ -n "$prog" ] && [ -n "$rows" ] || usage
	PROGS+=("$prog")
	PROG_DISK[$prog]=$DISK PROG_ROWS[$prog]=${rows//,/ }
	for row in ${rows//,/ }; do
		ROWS+=("$row")
		ROW_PROG[$row]=$prog
	done
	shift
done
[ ${#PROGS[@]} -gt 0 ] || usage


QEMU=${QEMU:-qemu-system-x86_64}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
BOOT_TIMEOUT=${BENCH_BOOT_TIMEOUT:-480}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-1200}
VERBOSE=${BENCH_VERBOSE:-0}
REUSE=${BENCH_REUSE_LOGS:-0}

BDIR=$BUILD/bench
LOGS=$BDIR/logs
LINUX_DIR=$BDIR/linux
INITRAMFS=$BDIR/initramfs.cpio
mkdir -p "$LOGS" "$LINUX_DIR"

# The one QEMU configuration both kernels get; each side adds only how it boots.
QEMU_COMMON=(-machine q35 -cpu max -m 1G -smp 1 -nographic -no-reboot -icount shift=0)

say() { printf 'bench: %s\n' "$*" >&2; }

# ----------------------------------------------------------------- Linux kernel

LINUX_VMLINUZ="" LINUX_VERSION="" LINUX_REASON=""

# Sets LINUX_VMLINUZ and LINUX_VERSION, or LINUX_REASON when it cannot.
# newest_of GLOB...: the last existing match in version order, or nothing.
newest_of() {
	local f
	for f in "$@"; do [ -e "$f" ] && printf '%s\n' "$f"; done | sort -V | tail -n 1
}

linux_prepare() {
	local deb pkg
	deb=$(newest_of "$LINUX_DIR"/linux-image-*-cloud-amd64_*.deb)
	if [ -z "$deb" ]; then
		pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1)
		if [ -z "$pkg" ]; then
			LINUX_REASON="apt-cache knows no linux-image-cloud-amd64 (run apt-get update)"
			return
		fi
		say "downloading $pkg (once; cached in $LINUX_DIR)"
		if ! (cd "$LINUX_DIR" && apt-get download -q "$pkg" >download.log 2>&1); then
			LINUX_REASON="apt-get download $pkg failed (see $LINUX_DIR/download.log)"
			return
		fi
		deb=$(newest_of "$LINUX_DIR"/linux-image-*-cloud-amd64_*.deb)
	fi
	if [ ! -d "$LINUX_DIR/root/boot" ] || [ "$deb" -nt "$LINUX_DIR/root/boot" ]; then
		rm -rf "$LINUX_DIR/root"
		if ! dpkg -x "$deb" "$LINUX_DIR/root"; then
			LINUX_REASON="dpkg -x $deb failed"
			return
		fi
		touch "$LINUX_DIR/root/boot"
	fi
	LINUX_VMLINUZ=$(newest_of "$LINUX_DIR"/root/boot/vmlinuz-*)
	if [ -z "$LINUX_VMLINUZ" ]; then
		LINUX_REASON="no boot/vmlinuz-* in $deb"
		return
	fi
	LINUX_VERSION="$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
}

# ------------------------------------------------------------------ one QEMU run

# run_qemu LOG CMD...: run QEMU, writing every console line to LOG prefixed with
# the host's wall clock ($EPOCHREALTIME, seconds). Kills QEMU when no
# BENCH-BEGIN line arrived within BOOT_TIMEOUT s or the run exceeds
# RUN_TIMEOUT s. Appends "<time> BENCH-QEMU status=N wall=S [killed=WHY]".
run_qemu() {
	local log=$1 start now line="" part status killed="" begun=0
	shift
	: >"$log"
	start=$EPOCHREALTIME
	coproc QEMU_PROC { exec "$@" </dev/null 2>&1; }
	local fd=${QEMU_PROC[0]} pid=$QEMU_PROC_PID
	while :; do
		IFS= read -r -t 2 -u "$fd" part
		status=$?
		if [ $status -eq 0 ]; then
			line+=$part
			line=${line//$'\r'/}
			printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$log"
			[ "$VERBOSE" = 1 ] && printf '  | %s\n' "$line" >&2
			case $line in *BENCH-BEGIN*) begun=1 ;; esac
			line=""
			continue
		fi
		if [ $status -le 128 ]; then	# EOF (a last line without newline too)
			line+=$part
			[ -n "$line" ] && printf '%s %s\n' "$EPOCHREALTIME" "${line//$'\r'/}" >>"$log"
			break
		fi
		line+=$part			# timed out: keep the partial line
		now=$EPOCHREALTIME
		if [ $begun = 0 ] && awk -v a="$start" -v b="$now" -v t="$BOOT_TIMEOUT" 'BEGIN { exit !(b - a > t) }'; then
			killed="no BENCH-BEGIN within ${BOOT_TIMEOUT}s"
		elif awk -v a="$start" -v b="$now" -v t="$RUN_TIMEOUT" 'BEGIN { exit !(b - a > t) }'; then
			killed="run longer than ${RUN_TIMEOUT}s"
		fi
		if [ -n "$killed" ]; then
			kill "$pid" 2>/dev/null
			break
		fi
	done
	wait "$pid" 2>/dev/null
	status=$?
	now=$EPOCHREALTIME
	printf '%s BENCH-QEMU status=%s wall=%s%s\n' "$now" "$status" \
		"$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.2f", b - a }')" \
		"${killed:+ killed=$killed}" >>"$log"
}

# ------------------------------------------------------------- reading a log

# parse_log LOG ROW: prints "per_op ops faults tsc ns loop_wall run_wall addr majflt cpu"
# of the row in the run, or "ERROR <short reason>|<detail>".
parse_log() {
	awk -v prog="$2" '
	function field(name,   i, kv) {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == name)
				return substr($i, length(name) + 2)
		}
		return ""
	}
	{ last = $0; sub(/^[0-9.]+ /, "", last); if (last != "" && $0 !~ /BENCH-QEMU/) lastline = last }
	$0 ~ ("BENCH-BEGIN " prog "$") { begin = $1 }
	$0 ~ ("BENCH-END " prog "$") { end = $1 }
	index($0, "BENCH-ERROR " prog) { err = $0; sub(/.*BENCH-ERROR [^ ]* /, "", err) }
	index($0, "BENCH-RESULT name=" prog " ") {
		sub(/.*BENCH-RESULT /, "BENCH-RESULT ")
		ops = field("ops"); faults = field("faults"); tsc = field("tsc")
		ns = field("ns"); per_op = field("per_op"); addr = field("addr"); got = 1
		majflt = field("majflt"); cpu = field("cpu")
	}
	/BENCH-QEMU/ { status = field("status"); wall = field("wall")
		killed = $0; if (!sub(/.*killed=/, "", killed)) killed = "" }
	END {
		if (got && begin != "" && end != "") {
			printf "%s %s %s %s %s %.3f %s %s %s %s\n", per_op, ops, faults, tsc, ns, end - begin, wall,
				(addr == "") ? "?" : addr, (majflt == "") ? "?" : majflt, (cpu == "") ? "?" : cpu
			exit
		}
		if (err != "") reason = "the program failed: " err
		else if (killed != "") reason = "killed: " killed
		else if (begin != "") reason = "started but printed no result"
		else reason = prog " never started"
		if (killed == "") reason = reason sprintf(", QEMU exit %s", status)
		gsub(/[|`]/, "", lastline)
		detail = (lastline != "") ? "last console line: \"" substr(lastline, 1, 100) "\"" : "no console output"
		print "ERROR " reason "|" detail
	}' "$1"
}

# ------------------------------------------------------------------ the runs

# disk_prepare SIDE PROG: sets DISK_ARGS to the QEMU arguments of PROG's disk
# (none for a program without one), on a fresh copy of the image kept as
# BDIR/disk-SIDE-PROG.img for disk_check.
DISK_ARGS=()
disk_prepare() {
	local img=$BDIR/disk-$1-$2.img
	DISK_ARGS=()
	[ -n "${PROG_DISK[$2]}" ] || return 0
	cp --sparse=always "${PROG_DISK[$2]}" "$img"
	DISK_ARGS=(-drive "file=$img,if=none,id=d0,format=raw" -device nvme,serial=bench,drive=d0)
}

# disk_check SIDE PROG: compare each file of BDIR/expect/PROG/ with the same
# file in the run's disk copy; writes the verdict, one line, to LOGS/SIDE-PROG.disk.
# Only a program that printed its last row's result is checked.
disk_check() {
	local img=$BDIR/disk-$1-$2.img out=$LOGS/$1-$2.disk f name ok="" bad="" last
	[ -n "${PROG_DISK[$2]}" ] || return 0
	last=${PROG_ROWS[$2]##* }
	if ! grep -q "BENCH-RESULT name=$last " "$LOGS/$1-$2.log"; then
		echo "the disk was not checked: the program did not finish" >"$out"
		return 0
	fi
	for f in "$BDIR/expect/$2"/*; do
		[ -f "$f" ] || continue
		name=${f##*/}
		rm -f "$BDIR/disk-dump"
		if debugfs -R "dump /$name $BDIR/disk-dump" "$img" >/dev/null 2>&1 &&
		   cmp -s "$f" "$BDIR/disk-dump"; then
			ok+=" /$name"
		else
			bad+=" /$name"
		fi
	done
	rm -f "$BDIR/disk-dump"
	if [ -n "$bad" ]; then
		echo "DISK CHECK FAILED: after the run${bad} differ from what the program wrote (debugfs dump, cmp)${ok:+;${ok} as expected}" >"$out"
	elif [ -n "$ok" ]; then
		echo "the disk after the run holds the expected${ok} (debugfs dump, cmp)" >"$out"
	else
		echo "no expected files to compare the disk with" >"$out"
	fi
}

linux_run() {
	local prog=$1
	local log=$LOGS/linux-$prog.log
	say "Linux: $prog (log $log)"
	[ "$REUSE" = 1 ] && return
	disk_prepare linux "$prog"
	run_qemu "$log" "$QEMU" "${QEMU_COMMON[@]}" \
		-kernel "$LINUX_VMLINUZ" -initrd "$INITRAMFS" "${DISK_ARGS[@]}" \
		-append "console=ttyS0 quiet panic=-1 rdinit=/$prog transparent_hugepage=never norandmaps"
	disk_check linux "$prog"
}

pagoda_run() {
	local prog=$1
	local log=$LOGS/pagoda-$prog.log vars=$BDIR/ovmf-vars.fd
	say "Pagoda: $prog (log $log)"
	[ "$REUSE" = 1 ] && return
	cp "$OVMF_VARS" "$vars"
	disk_prepare pagoda "$prog"
	run_qemu "$log" "$QEMU" "${QEMU_COMMON[@]}" \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,unit=1,file="$vars" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-cdrom "$PAGODA_ISO" "${DISK_ARGS[@]}" \
		-fw_cfg "name=opt/pagoda/cmdline,string=init=/$prog"
	disk_check pagoda "$prog"
}

# ------------------------------------------------------------------ the table

declare -A RES		# RES[side,row] = parse_log output

linux_prepare
[ -n "$LINUX_REASON" ] && say "Linux: not runnable: $LINUX_REASON"
for prog in "${PROGS[@]}"; do
	[ -z "$LINUX_REASON" ] && linux_run "$prog"
	pagoda_run "$prog"
	for row in ${PROG_ROWS[$prog]}; do
		if [ -n "$LINUX_REASON" ]; then
			RES[linux,$row]="ERROR $LINUX_REASON|no Linux kernel"
		else
			RES[linux,$row]=$(parse_log "$LOGS/linux-$prog.log" "$row")
		fi
		RES[pagoda,$row]=$(parse_log "$LOGS/pagoda-$prog.log" "$row")
	done
done

# unit_of ROW: what one op is, from the program's own result line (_ as blanks).
unit_of() {
	local u
	u=$(sed -n "s/.*BENCH-RESULT name=$1 unit=\([^ ]*\).*/\1/p" \
		"$LOGS"/*-"${ROW_PROG[$1]}".log 2>/dev/null | head -n 1)
	u=${u:-op}
	echo "${u//_/ }"
}

# group N: 8212 -> 8,212
group() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# A result's fields (parse_log): per_op ops faults tsc ns loop_wall run_wall addr majflt cpu.
F_PER_OP=0 F_OPS=1 F_FAULTS=2 F_TSC=3 F_NS=4 F_LOOP=5 F_RUN=6 F_ADDR=7 F_MAJFLT=8 F_CPU=9

# cell_instr RES: "8,212" or "not runnable (reason)".
cell_instr() {
	local -a f
	case $1 in
	ERROR*) local r=${1#ERROR }; printf 'not runnable (%s)' "${r%%|*}" ;;
	*) read -r -a f <<<"$1"; group "${f[F_PER_OP]}" ;;
	esac
}

# cell_wall RES: "12.3 µs (3.21 s loop, 16.4 s run)", per op.
cell_wall() {
	local -a f
	case $1 in
	ERROR*) printf -- '-' ;;
	*) read -r -a f <<<"$1"
		awk -v ops="${f[F_OPS]}" -v loop="${f[F_LOOP]}" -v run="${f[F_RUN]}" \
		'BEGIN { us = loop * 1e6 / ops
			printf (us < 10000 ? "%.1f µs" : "%.0f ms"), (us < 10000 ? us : us / 1000)
			printf " (%.2f s loop, %.1f s run)", loop, run }' ;;
	esac
}

# cell_ratio LINUX_RES PAGODA_RES: Pagoda's instructions per op over Linux's.
cell_ratio() {
	case "$1$2" in
	*ERROR*) printf -- '-' ;;
	*) awk -v l="${1%% *}" -v p="${2%% *}" 'BEGIN { printf "%.2f", p / l }' ;;
	esac
}

# check_line SIDE ROW RES: what makes the run's numbers trustworthy (or why
# there are none): faults per op from ru_minflt + ru_majflt (the major ones
# too for a file program), the kernel clock against the TSC, where the first
# mapping and (Pagoda) the kernel image landed; for a program's first row,
# what its disk held after the run.
check_line() {
	local -a f
	local where="" prog=${ROW_PROG[$2]} first
	first=${PROG_ROWS[$prog]%% *}
	[ "$1" = pagoda ] && where=$(sed -n 's/.*pagoda-loader: kernel .* at phys \([0-9A-Fa-f]*\).*/; kernel image at phys 0x\1/p' \
		"$LOGS/pagoda-$prog.log" 2>/dev/null | head -n 1)
	[ "$2" = "$first" ] && [ -n "${PROG_DISK[$prog]}" ] && [ -f "$LOGS/$1-$prog.disk" ] &&
		where+="; $(cat "$LOGS/$1-$prog.disk")"
	case $3 in
	ERROR*) local r=${3#ERROR }
		echo "- $1 $2: not runnable: ${r%%|*}; ${r#*|}${where}"
		return ;;
	esac
	read -r -a f <<<"$3"
	awk -v side="$1" -v prog="$2" -v ops="${f[F_OPS]}" -v faults="${f[F_FAULTS]}" \
		-v tsc="${f[F_TSC]}" -v ns="${f[F_NS]}" -v instr="$(group "${f[F_TSC]}")" \
		-v addr="${f[F_ADDR]}" -v where="$where" -v maj="${f[F_MAJFLT]}" \
		-v file="${PROG_DISK[$prog]:+1}" -v cpu="${f[F_CPU]}" 'BEGIN {
		fl = (faults < 0) ? "getrusage failed" : sprintf("%.3f faults/op", faults / ops)
		if (file && faults >= 0 && maj != "?")
			fl = fl sprintf(" (%d faults, %d major)", faults, maj)
		if (file && cpu != "?" && ns > 0)
			fl = fl sprintf("; the program'"'"'s CPU time %.1f%% of the interval", cpu / ns * 100)
		d = (tsc > 0) ? (ns - tsc) / tsc * 100 : 0
		placed = (addr == "0" || addr == "?") ? "" : "; first mapping at " addr
		printf "- %s %s: %d ops, %s guest instructions; %s; CLOCK_MONOTONIC vs TSC %+.3f%%%s%s\n",
			side, prog, ops, instr, fl, d, placed, where }'
	# A program that splits its loop into phases (fork_cow) says where the instructions went.
	local phases
	phases=$(sed -n "s/.*BENCH-PHASES $2 //p" "$LOGS/$1-$prog.log" 2>/dev/null | tail -n 1)
	[ -n "$phases" ] && echo "$phases" | awk '{
		printf "  instructions per op by phase:"
		for (i = 1; i <= NF; i++) {
			split($i, kv, "="); gsub(/_/, " ", kv[1])
			v = ""; n = kv[2]
			while (length(n) > 3) { v = "," substr(n, length(n) - 2) v; n = substr(n, 1, length(n) - 3) }
			v = n v
			printf "%s %s %s", (i > 1 ? "," : ""), kv[1], v
		}
		print "" }'
	return 0
}

TABLE=$( {
	echo "| benchmark (one op) | Linux instr/op | Pagoda instr/op | Pagoda/Linux | Linux wall per op | Pagoda wall per op |"
	echo "|---|---:|---:|---:|---|---|"
	for row in "${ROWS[@]}"; do
		l=${RES[linux,$row]} p=${RES[pagoda,$row]}
		echo "| $row ($(unit_of "$row")) | $(cell_instr "$l") | $(cell_instr "$p") | $(cell_ratio "$l" "$p") | $(cell_wall "$l") | $(cell_wall "$p") |"
	done
} )

CHECKS=$( for row in "${ROWS[@]}"; do
	for side in linux pagoda; do
		check_line "$side" "$row" "${RES[$side,$row]}"
	done
done )

QEMU_VERSION=$("$QEMU" --version | head -n 1)
HOST_CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
# The commit the runs were made on (this page itself not counted as a change),
# kept with the logs so BENCH_REUSE_LOGS reports that one.
if [ "$REUSE" = 1 ] && [ -s "$LOGS/pagoda-commit" ]; then
	PAGODA_COMMIT=$(cat "$LOGS/pagoda-commit")
else
	PAGODA_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	git diff --quiet HEAD -- . ":(exclude)$OUT" 2>/dev/null ||
		PAGODA_COMMIT="$PAGODA_COMMIT + uncommitted changes"
	[ "$REUSE" = 1 ] || echo "$PAGODA_COMMIT" >"$LOGS/pagoda-commit"
fi
# The time of the runs: the newest log (so BENCH_REUSE_LOGS keeps it).
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
newest_log=""
for f in "$LOGS"/*.log; do
	[ -e "$f" ] && { [ -z "$newest_log" ] || [ "$f" -nt "$newest_log" ]; } && newest_log=$f
done
[ -n "$newest_log" ] && DATE=$(date -u -r "$newest_log" '+%Y-%m-%d %H:%M UTC')
PAGODA_PAGING=$(sed -n 's/.*pagoda: paging mode: \([0-9]-level\).*/\1/p' "$LOGS"/pagoda-*.log 2>/dev/null | sort -u | tr '\n' ' ')

echo
echo "$TABLE"
echo
[ -n "$CHECKS" ] && echo "$CHECKS" && echo

# program_note PROG: the leading comment of bench/PROG.c as an indented block.
program_note() {
	printf -- '- **%s**\n\n' "$1"
	awk 'NR == 1 && !/^\/\*/ { exit }
		NR == 1 && /^\/\*$/ { next }
		/^ *\*\// { exit }
		{ sub(/^\/\* ?/, ""); sub(/^ \* ?/, ""); sub(/^ \*$/, ""); print "      " $0 }' \
		"bench/$1.c" 2>/dev/null
	echo
}
PROGRAM_NOTES=$(for prog in "${PROGS[@]}"; do program_note "$prog"; done)

mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<EOF
# Benchmarks

Written by \`make bench\` (tools/bench.sh, bench/); do not edit by hand.
Last run: $DATE.

$TABLE

- QEMU: $QEMU_VERSION (TCG, no KVM), host CPU: ${HOST_CPU:-unknown}
- Linux: ${LINUX_VERSION:-not available ($LINUX_REASON)}, from Debian's package
  \`linux-image-cloud-amd64\` (\`apt-get download\`, \`dpkg -x\`), booted with
  \`-kernel vmlinuz -initrd initramfs.cpio -append "console=ttyS0 quiet panic=-1 rdinit=/PROG transparent_hugepage=never norandmaps"\`
- Pagoda: commit $PAGODA_COMMIT, booted from its ISO under OVMF with \`init=/PROG\`
  (fw_cfg \`opt/pagoda/cmdline\`), the programs in its initrd
- Both: \`qemu-system-x86_64 -machine q35 -cpu max -m 1G -smp 1 -nographic -no-reboot -icount shift=0\`
- Disk, for the file_* rows (programs file_read and file_write): \`build/bench/disk.img\`,
  made by bench/bench.mk with \`mke2fs -q -F -t ext2 -b 4096 -d TREE disk.img 192M\`, TREE
  holding \`data\`, 64 MiB of bench/file.h's \`bench_pattern()\` (written by the host tool
  bench/mkdata.c). Every run of a file program gets a fresh copy of it as
  \`-drive file=COPY,if=none,id=d0,format=raw -device nvme,serial=bench,drive=d0\`. Both kernels
  mount it with \`mount("/dev/nvme0n1", "/mnt", "ext2", 0, NULL)\`: Linux through its ext4
  driver (CONFIG_EXT4_USE_FOR_EXT2=y; NVMe and ext4 are built into the Debian cloud kernel,
  no modules to load), after the program mounts devtmpfs on /dev (rdinit runs with only the
  built-in initramfs's /dev) and waits for the node (NVMe probes asynchronously); Pagoda's /dev
  is already a devtmpfs. After each run tools/bench.sh compares the files the program left on
  the disk copy with what they must hold (\`debugfs -R dump\`, \`cmp\`, against
  build/bench/expect/PROG/): the check line of the program's first row says how that went.
  The OVMF boot of Pagoda takes longer with the NVMe disk attached (the "run" figure).
- Paging: Pagoda ${PAGODA_PAGING:-unknown }(its boot log); Linux 5-level (\`-cpu max\` has LA57,
  the kernel has CONFIG_X86_5LEVEL=y and its /proc/cpuinfo lists la57: checked once)

Checks of each run (faults counted by \`getrusage\` ru_minflt + ru_majflt per op; for
the file rows the major ones, and the program's CPU time as a share of the measured
interval; the kernel's clock against the TSC; where the first mapping landed):

${CHECKS:-- no run produced a result}

## What the numbers mean

- **instr/op** is guest instructions per operation. With \`-icount shift=0\`
  QEMU advances the guest's virtual clock by exactly 1 ns per executed
  instruction and the TSC follows that clock, so the program's own \`rdtsc\`
  delta around its loop is the number of guest instructions it took, user and
  kernel together, divided by the ops. The figure is the same from run to run
  to within a few hundredths of a percent (timer interrupts land at slightly
  different points), and it does not depend on the host. \`CLOCK_MONOTONIC\`
  measures the same thing through each kernel's clock; the check line above
  shows how well the two agree. QEMU counts every iteration of a REP string
  instruction as one instruction: clearing a 4 KiB page with \`rep stosb\`
  costs 4,096 of them. Both kernels clear pages that way (Pagoda's \`memset\`;
  Linux's \`clear_page_erms\`, as \`-cpu max\` has ERMS), so 4,096 of
  page_fault1's instructions per op are the same work on both sides.
- **wall per op** is host wall-clock time between the \`BENCH-BEGIN\` and
  \`BENCH-END\` lines the program prints around its loop, timestamped on the
  host as they arrive on the serial console, divided by the ops. It depends on
  the host and on how costly each instruction is to emulate (TLB flushes and
  CR3 writes are expensive in TCG), so it can rank differently from the
  instruction count. "loop" is that interval; "run" is the whole QEMU run
  including firmware and kernel boot (OVMF boots slowly under \`-icount\`,
  because its delay loops now cost real instructions).
- Pagoda's wall time was bimodal under TCG (seen in November 2026, found
  and fixed in December, QEMU 7.2): with the same instruction count to the
  last digit, a loop ran 3 to 20 times longer in some boots. QEMU tracks
  translated code per physical page, and a store to a page it holds
  translations for leaves its TLB fast path (\`notdirty_write\`,
  \`page_collection_lock\`, \`tb_invalidate_phys_page_fast\`) until the
  translated bytes themselves are overwritten. Pagoda gives the pages the
  loader and the firmware ran code from (EfiLoaderCode, EfiBootServicesCode,
  the trampoline page) to its allocator at boot, and exiting programs free
  their text pages; a kernel stack or a slab page only ever writes part of
  its page, so when one landed on a former code page QEMU kept it as code for
  good. Where OVMF loads the loader changes from boot to boot (its layout
  moves by a few pages even with the same image), which is why it looked
  like chance. Measured with the loader option \`kernel_phys=0x3DE60000\`,
  mmap_churn 2,000 ops (55.6 million guest instructions, commit c686e1a)
  and \`-d trace:memory_notdirty_write_access\`: in the boots where OVMF
  put the loader's .text at 0x3e01b000, the init task's kernel stack was
  allocated there, 4.69 million stores took the slow path (2.0 million to
  one stack slot) and the loop took 10.5 s (15.2 s in another such boot);
  in the other layouts 0.2 to 0.9 s, with 289,000 slow stores to a stack
  page in one of them. Since new slabs and kernel stacks are zeroed when
  allocated (mm/slab.c slab_new(), kernel/task.c), such a page is written
  over once (about 4,090 slow stores, then QEMU drops its code) and no
  store in the loop takes the slow path. In the layout where the unfixed
  kernel made 289,000 slow stores to its stack page (loop 1.54 s), the
  fixed one makes 15,800 in all, the same for 2,000 and 4,000 ops (the
  clears), loop 0.42 and 0.98 s for 2,000 ops on a host loaded by other
  QEMUs; in 18 boots of the fixed kernel OVMF never chose the worst layout
  again, so that one has no after-figure. Wall figures still vary with the
  host's load.
- Where mmap_churn's instructions go (December 2026, 5-level, from a user
  program timing each call with \`rdtsc\` under \`-icount\`): munmap took
  17,705 of 27,814 per op, 16,100 of them to free one pte table: it scanned
  that table and the pmd, pud and p4d tables above it for a remaining
  entry. munmap now frees tables by Linux's floor/ceiling rule
  (mm/pgtable.c \`pt_free_range()\`: decided from the neighbouring vmas,
  no table read), flushes each freed table with one INVLPG (a CR3 reload
  past the flush ceiling, no CR4.PGE toggle) and starts its TLB batches
  without clearing them. Now per op: mmap 1,004, the write fault 9,106
  (8,192 of them two page clears: the data page, and the pte table the
  previous munmap freed, which Linux keeps because its vDSO's vma shares
  it), munmap 2,028, a null system call 141.
- Address-space layout randomization is off on Linux (\`norandmaps\`); Pagoda
  does not randomize. Placement matters to mmap_churn: munmap frees the page
  tables no other VMA shares, so the cost per op depends on whether the
  mapping shares its upper table pages with the stack. With randomization on,
  Linux's mmap_churn figure varied between about 34,000 and 39,100
  instructions per op from boot to boot (measured once, 4 runs); with
  \`norandmaps\` it is one figure (23,236, mapping in the stack's 1 GiB).
- **The file rows.** Each program boots once and measures its rows in
  order, each row's precondition set up outside the measurement (the
  programs' comments below say how). Per 4 KiB page: file_cold_read loads
  one word of every page of a 64 MiB MAP_SHARED, PROT_READ mapping of a
  file nothing has read since boot (read-around from the disk);
  file_warm_read the same once the file is cached (fault-around maps 16
  pages per fault on both kernels); file_private_write stores one word per
  page of a MAP_PRIVATE writable mapping of the cached file (a copy from
  the page cache, page_fault2-style); file_shared_write the same through
  MAP_SHARED on clean cached pages (page_mkwrite and dirtying,
  page_fault3-style); file_shared_write_dirty on pages already dirtied by
  \`write()\` and not yet written back. file_fsync is one op: fsync of a
  file whose 64 MiB are dirty (written with \`write()\`, then stored to
  through the mapping), i.e. writeback of 16,384 pages, the inode and a
  cache flush. mmap, munmap and the checks are outside the measured loops.
  Every loop checks the word it loads against the pattern; read(2) checks
  the file's bytes after the stores; debugfs checks the disk after the run.
- **Waiting for the disk counts as instructions.** Under \`-icount\` (with
  QEMU's default sleep=on) the guest clock, and so the TSC, runs at the
  host's real-time rate while the guest CPU is idle, so the time a cold
  read fault or fsync spends waiting for the emulated NVMe disk enters the
  figure as if it were executed instructions, and depends on the host and
  its load. Runs of the same kernels on the same day (December 2026, the
  host shared with other QEMUs): Linux's file_cold_read 8,032, 12,504,
  12,889 and 7,749 instructions per page while its CPU time (in the last
  three, which measured it) stayed at 126.0 to 126.2 million (7,700 per
  page); its file_fsync 183, 109 and 80 million, with 41.6 million of CPU
  time in the last two; Pagoda's file_cold_read
  12,832, 14,325 and 6,274. So file_cold_read and file_fsync rank the
  kernels only roughly; the other file rows are CPU-bound and repeatable.
  The check lines give the program's own CPU time
  (\`CLOCK_PROCESS_CPUTIME_ID\`) as a share of the interval: the rest was
  idle (or other tasks). Linux's CPU time is exact (the scheduler clock);
  Pagoda's counts 10 ms timer ticks (HZ=100), right to about a tick either
  way (so a 8 ms loop can show 127 %).
- **Multi-page bios** (December 2026, QEMU's
  \`-trace pci_nvme_read -trace pci_nvme_rw_cb\` on file_read): Linux
  read the 64 MiB file with 554 NVMe commands, 497 of them 128 KiB (its
  readahead window as one request); Pagoda, at a582d59, with 16,420, one
  4 KiB page each: fs/mpage.c submitted a bio per page and the block layer
  neither merges nor plugs, so every page was its own command, completion
  interrupt and wake-up. Its file_cold_read was then 12,832 to 14,325
  instructions per page (1.85x Linux) and file_fsync 126 million (1.58x).
  Since 616ce1d and the readahead change before it, readahead reads the
  pages of a window that lie on consecutive blocks with one bio, and a
  writeback pass puts up to 64 such pages in one bio (as Linux's
  \`mpage_readahead\`/\`mpage_writepages\`); the same rows became 5,211
  per page (0.61x) and 75.4 million (0.87x) in the run above. A cold fault
  also waits for its read without \`mmap_lock\` and is retried, so the
  retry's fault-around maps the 16 pages just read (Linux's
  \`filemap_fault\` after sync readahead).
- Huge pages are off on both sides: the programs call \`madvise(MADV_NOHUGEPAGE)\`
  and Linux boots with \`transparent_hugepage=never\`, so every op is the 4 KiB
  path. Linux runs with the mitigations the Debian kernel picks for \`-cpu max\`
  (checked once in /sys/devices/system/cpu/vulnerabilities: retpolines for
  Spectre v2, no page-table isolation since Meltdown is "Not affected"), and
  its configuration: HZ=250, voluntary preemption, memory cgroups built in,
  init_on_alloc on by default (anonymous pages are still cleared once).

## The programs (bench/)

Each program's own header comment, as in its source:

$PROGRAM_NOTES

Each program prints \`BENCH-RESULT name= unit= ops= faults= tsc= ns= per_op= addr= majflt= cpu=\`
per row (bench/bench.h). Run one by hand with \`tools/pagoda-run build/bench/page_fault1 [ROUNDS]\`
(a file program: \`tools/pagoda-run --disk nvme:COPY_OF_disk.img build/bench/file_read\`) or
directly on the host (without \`-icount\` the tsc figure is host TSC ticks, not
instructions). Logs of the last \`make bench\` are in \`build/bench/logs/\`;
\`BENCH_REUSE_LOGS=1 bash tools/bench.sh build docs/benchmarks.md build/bench/pagoda-bench.iso $ARGS_ALL\`
rebuilds this page from them without running anything.
EOF
say "wrote $OUT"
exit 0
