#!/bin/sh
# Install whatever Pagoda's build and tests need from Debian's packages.
# Cheap when everything is present (one dpkg-query), so every make target runs it.
set -e
PKGS="gcc make binutils nasm gnu-efi qemu-system-x86 ovmf xorriso mtools dosfstools \
e2fsprogs musl-tools gdb cpio gdisk fdisk procps mount"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
