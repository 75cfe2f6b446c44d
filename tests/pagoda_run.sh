#!/bin/sh
# tools/pagoda-run smoke test (KTAP): it boots Pagoda with a static program
# as the first process, relays the program's output and exits with its
# status; a signal death becomes 128 + N.
B=${PAGODA_BUILD:-build}
run() {		# run OUTFILE BINARY [ARGS...]: prints the status
	out=$1
	shift
	tools/pagoda-run "$@" > "$out" 2> "$out.err"
	echo $?
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
result() {	# result OK DESCRIPTION [DIAGNOSTIC-FILE]
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "    ok $n $2"
	else
		failed=1
		echo "    not ok $n $2"
		[ -n "${3:-}" ] && sed -n '1,20s/^/    # /p' "$3"
	fi
}
echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: pagoda-run"
echo "    1..4"
st=$(run "$tmp/hello" "$B/userland/hello")
cat "$tmp/hello.err" >> "$tmp/hello"
ok=0
[ "$st" = 0 ] && grep -q '^    ok 1 a static program runs and writes to stdout$' "$tmp/hello" &&
	! grep -q '^\[' "$tmp/hello" && ok=1
result $ok "hello world: exit status 0, its output relayed without kernel log lines" "$tmp/hello"
st=$(run "$tmp/exit" "$B/userland/exit_code" 3)
result "$([ "$st" = 3 ] && echo 1)" "a program exiting with 3 makes pagoda-run exit 3 (got $st)" "$tmp/exit.err"
st=$(run "$tmp/segv" "$B/userland/segv_default")
result "$([ "$st" = 139 ] && echo 1)" "a program killed by SIGSEGV makes pagoda-run exit 139 (got $st)" "$tmp/segv.err"
# --disk virtio:FILE and virtio:ro:FILE: vda and a read-only vdb in the boot log
truncate -s 8M "$tmp/d0.img"
truncate -s 2M "$tmp/d1.img"
st=$(PAGODA_RUN_VERBOSE=1 run "$tmp/disks" --disk "virtio:$tmp/d0.img" --disk "virtio:ro:$tmp/d1.img" \
	"$B/userland/hello")
ok=0
[ "$st" = 0 ] &&
	grep -q '\] vda: 8\.0 MiB, 16384 512-byte logical blocks (physical 512), write cache' "$tmp/disks.err" &&
	grep -q '\] vdb: 2\.0 MiB, 4096 512-byte logical blocks (physical 512), read-only, write cache' \
		"$tmp/disks.err" && ok=1
result $ok "--disk virtio:FILE and virtio:ro:FILE attach vda and a read-only vdb" "$tmp/disks.err"
[ $failed = 0 ] && echo "ok 1 pagoda-run" || echo "not ok 1 pagoda-run"
exit $failed
