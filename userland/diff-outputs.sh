#!/bin/sh
# diff-outputs.sh QEMU-LOG HOST-DIR LIST SUITE
# Differential test: for every program of LIST (userland/tests.list) that
# runs on the host, its output in the QEMU console log (the untimestamped
# lines between init's result line for the previous program and its own,
# less init's own column-0 "KTAP version" and "# " lines) must equal its
# output on the host Linux (HOST-DIR/NAME.out, written by
# userland/host-run.sh). Prints a KTAP document, one test per program.
log=$1 hostdir=$2 list=$3 suite=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=$(sed -e 's/#.*//' "$list" | awk 'NF && $1 !~ /\.elf$/ { n = $1; sub(/.*\//, "", n); print n }')
# Split the log into one file per program, named after init's result line.
tr -d '\r' < "$log" | awk -v dir="$tmp" '
	function flush(name) { printf "%s", buf > (dir "/" name ".pagoda"); close(dir "/" name ".pagoda") }
	{
		stamped = match($0, /^\[ *[0-9]+\.[0-9]+\] /)
		text = stamped ? substr($0, RLENGTH + 1) : $0
		if (text ~ /^1\.\.[0-9]+$/) { buf = ""; next }
		if (text ~ /^(not )?ok [0-9]+ /) {
			name = text; sub(/^(not )?ok [0-9]+ /, "", name)
			flush(name); buf = ""; next
		}
		if (!stamped && text !~ /^(KTAP version|# )/) buf = buf $0 "\n"
	}'
n=$(echo "$names" | wc -w)
echo "KTAP version 1"
echo "1..1"
echo "    KTAP version 1"
echo "    # Subtest: $suite"
echo "    1..$n"
i=0 failed=0
for name in $names; do
	i=$((i + 1))
	if [ -f "$tmp/$name.pagoda" ] && [ -f "$hostdir/$name.out" ] &&
	   cmp -s "$tmp/$name.pagoda" "$hostdir/$name.out"; then
		echo "    ok $i $name: output identical on Linux and Pagoda"
	else
		failed=1
		echo "    not ok $i $name: output identical on Linux and Pagoda"
		if [ ! -f "$tmp/$name.pagoda" ]; then
			echo "    # no result line for $name in $log"
		elif [ ! -f "$hostdir/$name.out" ]; then
			echo "    # no host output $hostdir/$name.out"
		else
			diff -u "$hostdir/$name.out" "$tmp/$name.pagoda" | sed -n '3,40s/^/    # /p'
		fi
	fi
done
[ $failed = 0 ] && echo "ok 1 $suite" || echo "not ok 1 $suite"
exit $failed
