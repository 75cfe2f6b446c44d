# tests/lib/disk_test.sh - what the disk test scripts share (tests/ext2_disk.sh,
# tests/disk_stress.sh, tests/blkdev_file.sh, tests/root_fs.sh,
# tests/proc_mm_disk.sh): their work directory and their KTAP result lines.
# Sourced, from the repository's root:
#
#   . "$(dirname "$0")/lib/disk_test.sh"
#   disk_test_workdir "${1:-}"
#       sets tmp: the directory given (emptied first, made absolute), or a
#       temporary one removed when the script exits
#   result OK DESCRIPTION [DIAGNOSTIC-FILE | SKIP-REASON]
#       OK 1: "    ok N DESCRIPTION"; skip: "    ok N DESCRIPTION # SKIP
#       REASON"; anything else: "    not ok N DESCRIPTION" with the first 30
#       lines of DIAGNOSTIC-FILE as diagnostics, and failed=1

n=0 failed=0

disk_test_workdir() {
	if [ -n "$1" ]; then
		tmp=$1
		rm -rf "$tmp"
		mkdir -p "$tmp"
		tmp=$(cd "$tmp" && pwd)
	else
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
	fi
}

result() {
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "    ok $n $2"
	elif [ "$1" = skip ]; then
		echo "    ok $n $2 # SKIP ${3:-}"
	else
		failed=1
		echo "    not ok $n $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && sed -n '1,30s/^/    # /p' "$3"
	fi
}
