#!/bin/sh
# mkesp.sh OUT.img LOADER.efi KERNEL.elf CMDLINE [INITRD]
# Build the FAT EFI system partition image that goes into the ISO:
#   /EFI/BOOT/BOOTX64.EFI  the loader
#   /pagoda/kernel.elf     the kernel
#   /pagoda/cmdline.txt    default kernel command line
#   /pagoda/initrd.img     optional initrd
set -e
out=$1 loader=$2 kernel=$3 cmdline=$4 initrd=${5:-}
bytes=$(cat "$loader" "$kernel" "$cmdline" ${initrd:+"$initrd"} | wc -c)
kib=$(( (bytes / 1024) * 5 / 4 + 1024 ))
[ $kib -lt 2880 ] && kib=2880
rm -f "$out"
mkfs.fat -C -n PAGODA-ESP "$out" $kib >/dev/null
mmd -i "$out" ::/EFI ::/EFI/BOOT ::/pagoda
mcopy -i "$out" "$loader" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$out" "$kernel" ::/pagoda/kernel.elf
mcopy -i "$out" "$cmdline" ::/pagoda/cmdline.txt
[ -n "$initrd" ] && mcopy -i "$out" "$initrd" ::/pagoda/initrd.img
exit 0
