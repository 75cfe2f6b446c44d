#!/bin/sh
# host-run.sh OUT NAME [DIRECTIVE...] -- PROGRAM [ARGS...]
# Run one user test program on the host Linux, as the userland init runs it on
# Pagoda: its output (a KTAP subtest) is saved to OUT, for tests/check.sh to
# compare with the same program's output in QEMU, and wrapped in a one-test
# KTAP document for the runner. DIRECTIVEs are those of /tests/list:
# expect-exit=N, expect-signal=N (timeout= is ignored here).
out=$1 name=$2
shift 2
want_exit=0 want_sig=0
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	case $1 in
	expect-exit=*) want_exit=${1#expect-exit=} ;;
	expect-signal=*) want_sig=${1#expect-signal=} want_exit=-1 ;;
	esac
	shift
done
shift
echo "KTAP version 1"
echo "1..1"
# through a pipe: stdout does not seek, as Pagoda's console does not
{ "$@"; echo $? > "$out.status"; } | cat > "$out"
st=$(cat "$out.status")
rm -f "$out.status"
cat "$out"
if [ "$st" -gt 128 ]; then
	what="killed by signal $((st - 128))"
	ok=$([ $((st - 128)) -eq "$want_sig" ] && echo 1 || echo 0)
else
	what="exited with status $st"
	ok=$([ "$st" -eq "$want_exit" ] && echo 1 || echo 0)
fi
if [ "$ok" = 1 ]; then
	echo "ok 1 $name"
else
	echo "not ok 1 $name"
	echo "# $name: $what"
	exit 1
fi
