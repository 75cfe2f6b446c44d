#!/bin/sh
# `make check`: every test tier, one tally, one last line "N passed, M failed".
#   1. host unit tests (ASan + UBSan)           $HOST_TEST_BINS
#   2. in-kernel KTAP suites under QEMU, 5-level paging (-cpu max) and 4-level (no5lvl)
#   3. crash scenarios: deliberate kernel faults whose oops must name the
#      right CR2, error bits, function and page-walk levels
#   3b. -machine pc, -smp 4, no HPET; PCI on q35 and pc; NVMe (ktest=nvme on
#       four controllers, then each written image checked on the host with
#       cmp against build/tools/blk-pattern); power-off and each restart
#       method without isa-debug-exit
#   4. the loader given a corrupt kernel ELF must say so and return to the firmware
#   4b. CPUs without optional features (docs/cpu-features.md): the in-kernel
#      suites on Nehalem (no SMEP/SMAP/XSAVE), on qemu64 without NX and on a
#      CPU with XSAVE but no XSAVEOPT; the user programs without NX; the
#      short boot matrix (tools/matrix.sh --short: every CPU model, machine
#      type and boot device once, 128 MiB to 6 GiB, -smp 4)
#   5. user space: the test programs of userland/tests.list on the host Linux,
#      then in QEMU (`utest`, 5- and 4-level paging: the userland init forks and
#      execs each one and fails it unless its status is as expected, the free
#      page count is back and the memory audit is clean), then the differential
#      check that each printed the same on both; the `make run` demo; and a
#      tools/pagoda-run smoke test
#   6. ext2 through the VFS: userland/ext2_disk on two mke2fs -d images
#      (virtio-blk and NVMe) in one tools/pagoda-run, then e2fsck -fn and
#      debugfs on the host (tests/ext2_disk.sh)
#   7. files under pressure (tests/disk_stress.sh): a file twice the guest's
#      RAM written, read, mapped and rewritten through a mapping on ext2 on
#      NVMe (256 MiB on 128 MiB: reclaim and writeback), and a machine
#      killed after fsync (e2fsck -fp repairs, every fsynced byte is kept)
#   8. the memory counters on a disk: userland/proc_mm --disk on the host and
#      on an ext2 image over virtio-blk, same output (tests/proc_mm_disk.sh)
#   9. block devices as files: userland/blkdev_file on loop devices on the host
#      and on NVMe/virtio-blk/read-only virtio-blk on Pagoda, same output,
#      images cmp'd after QEMU (tests/blkdev_file.sh); root= on an ext2 disk:
#      /sbin/init from it, e2fsck -fn and debugfs after, ro by default, bad
#      roots panic as Linux (tests/root_fs.sh)
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
	# a page freed while still in use is a bug in every run (mm/buddy.c bad_page)
	$R --name "$name" --tally "$TALLY" --log "$LOGS/$name.log" --qemu-arg -nic --qemu-arg none \
		--reject '^BUG: Bad page state' "$@"
}

echo "== host unit tests"
host layering sh tests/layering.sh
host nop-sites sh tests/nop_sites.sh
for bin in $HOST_TEST_BINS; do
	host "host-$(basename "$bin" | sed 's/^test_//')" "$bin"
done

echo "== in-kernel suites, 5-level paging"
# The block suite's disks must be logged as Linux logs them (docs/block-layer.md).
qemu ktest-5level --iso "$ISO" --cmdline "ktest" --expect-levels 5 \
	--expect '^apic: timer in (periodic|TSC-deadline) mode at 100 Hz; calibrated against the HPET' \
	--expect '^serial: COM1 receive interrupt on ISA IRQ 4' \
	--expect 'ok [0-9]+ without an NVMe device the driver binds nothing$' --reject '^nvme[0-9]' \
	--expect '^testblk[0-9]+: 4\.0 MiB, 8192 512-byte logical blocks \(physical 512\)$' \
	--expect '^testblk[0-9]+: 4\.0 MiB, 1024 4096-byte logical blocks \(physical 4096\)$' \
	--expect '^testblk[0-9]+: p1 p2 \(GPT\)$' \
	--expect '^testblk[0-9]+: p1 p2 < p5 p6 > \(MBR\)$' \
	--expect '^I/O error, dev testblk[0-9]+, sector 2048 op 0x1:\(WRITE\) flags 0x0$' \
	--expect '^timeout error, dev testblk[0-9]+, sector 0 op 0x0:\(READ\) flags 0x0$'

echo "== in-kernel suites, 4-level paging"
qemu ktest-4level --iso "$ISO" --cmdline "ktest no5lvl" --expect-levels 4

echo "== in-kernel suites on -machine pc (i440FX/PIIX4: FADT rev 1, no MCFG)"
qemu ktest-pc --iso "$ISO" --cmdline "ktest" --machine pc

echo "== -smp 4: application processors parked, counted from the MADT"
qemu smp4 --iso "$ISO" --smp 4 --cmdline "ktest=irq,acpi" \
	--expect '^smp: MADT lists 4 processors \(4 enabled, 0 online-capable\); running on the boot CPU \(APIC id 0\), 3 application processors parked'
echo "== no HPET: the APIC timer calibrated against PIT channel 2"
qemu no-hpet --iso "$ISO" --machine q35,hpet=off --cmdline "ktest=irq,sched" \
	--expect '^apic: timer in (periodic|TSC-deadline) mode at 100 Hz; calibrated against the PIT channel 2'
echo "== neither HPET nor PIT: the reference never moves; the APIC timer calibrated against the loader's TSC rate, boot not hung"
qemu no-hpet-no-pit --iso "$ISO" --machine q35,hpet=off,pit=off --cmdline "ktest=irq,sched" \
	--expect '^apic: the PIT channel 2 did not advance: calibrating against the loader.s TSC rate$' \
	--expect '^apic: timer in (periodic|TSC-deadline) mode at 100 Hz; calibrated against the loader.s TSC rate'
echo "== a corrupt ACPI table: an HPET at a physical address beyond the CPU's (checksum valid)"
# The 20 bytes after the table header: event timer block id, the base
# address as a memory GAS (0x0000400000000000: above QEMU's 40 address
# bits), HPET number, minimum tick, page protection. QEMU adds the header.
mkdir -p "$B/test/acpi"
printf '\001\242\206\200\000\100\000\000\000\000\000\000\000\100\000\000\000\200\000\000' \
	> "$B/test/acpi/hpet-beyond-maxphyaddr.bin"
qemu acpi-bad-hpet --iso "$ISO" --machine q35,hpet=off --cmdline "ktest=irq" \
	--qemu-arg -acpitable --qemu-arg "sig=HPET,data=$B/test/acpi/hpet-beyond-maxphyaddr.bin" \
	--expect '^ioremap: bad range 0x400000000000\+0x400 \(the CPU has [0-9]+ physical address bits\)$' \
	--expect '^apic: timer in (periodic|TSC-deadline) mode at 100 Hz; calibrated against the PIT channel 2'

# Null block backends (no image file) for the storage devices of the PCI runs.
NULLBLK="--qemu-arg -blockdev --qemu-arg null-co,node-name=nul0,size=1048576,read-zeroes=on
	--qemu-arg -blockdev --qemu-arg null-co,node-name=nul1,size=1048576,read-zeroes=on
	--qemu-arg -blockdev --qemu-arg null-co,node-name=nul2,size=1048576,read-zeroes=on"
echo "== PCI on q35 (ECAM): root ports with nvme and virtio-blk behind them, e1000e (MSI-X), edu (MSI)"
# shellcheck disable=SC2086 # word lists on purpose
qemu pci-q35 --iso "$ISO" --cmdline "ktest=pci" $NULLBLK \
	--qemu-arg -device --qemu-arg virtio-blk-pci,drive=nul0 \
	--qemu-arg -device --qemu-arg pcie-root-port,id=rp1,chassis=1 \
	--qemu-arg -device --qemu-arg nvme,bus=rp1,serial=pagoda1,drive=nul1 \
	--qemu-arg -device --qemu-arg pcie-root-port,id=rp2,chassis=2 \
	--qemu-arg -device --qemu-arg virtio-blk-pci,bus=rp2,drive=nul2 \
	--qemu-arg -device --qemu-arg e1000e --qemu-arg -device --qemu-arg edu \
	--reject '# SKIP' \
	--expect '^pci: ECAM at 0xb0000000 for segment 0000 buses 00-ff$' \
	--expect '^pci: 12 functions on 3 buses, 0 skipped$' \
	--expect '^pci 0000:00:00\.0 \[8086:29c0\] class 0600 Host bridge ' \
	--expect '^pci 0000:00:1f\.0 \[8086:2918\] class 0601 ISA bridge ' \
	--expect '^pci 0000:00:1f\.2 \[8086:2922\] class 0106 SATA controller .*BAR5 mem 0x[0-9a-f]+ size 0x1000, INTA line [0-9]+, caps MSI SATA$' \
	--expect '^pci 0000:00:0[0-9a-f]\.0 \[1af4:1001\] class 0100 SCSI storage controller .*BAR0 io 0x[0-9a-f]+ size 0x80, .*caps MSI-X\(2\) vendor\(5\)$' \
	--expect '^pci 0000:00:0[0-9a-f]\.0 \[1b36:000c\] class 0604 PCI bridge \(rev 00\), buses 01-01, ' \
	--expect '^pci 0000:01:00\.0 \[1b36:0010\] class 0108 Non-Volatile memory controller .*BAR0 mem64 0x[0-9a-f]+ size 0x4000, .*MSI-X\(65\)' \
	--expect '^pci 0000:02:00\.0 \[1af4:1042\] class 0100 .*BAR4 mem64 pref 0x[0-9a-f]+ size 0x4000' \
	--expect '^pci 0000:00:0[0-9a-f]\.0: bound to ktest-edu$' \
	--expect '^virtio-blk 0000:00:0[0-9a-f]\.0: vda: .*MSI-X \(configuration 0, queue 1\)$' \
	--expect '^virtio-blk 0000:02:00\.0: vdb: .*MSI-X \(configuration 0, queue 1\)$' \
	--expect '^nvme0n1: 1\.0 MiB, 2048 512-byte logical blocks \(physical 512\), write cache$'
echo "== PCI on -machine pc (port I/O): a PCI-to-PCI bridge with nvme behind it"
# shellcheck disable=SC2086 # word lists on purpose
qemu pci-pc --iso "$ISO" --machine pc --cmdline "ktest=pci" $NULLBLK \
	--qemu-arg -device --qemu-arg virtio-blk-pci,drive=nul0 \
	--qemu-arg -device --qemu-arg pci-bridge,id=br1,chassis_nr=1 \
	--qemu-arg -device --qemu-arg nvme,bus=br1,addr=3,serial=pagoda1,drive=nul1 \
	--qemu-arg -device --qemu-arg e1000e --qemu-arg -device --qemu-arg edu \
	--reject '# SKIP (needs|no |none)' \
	--expect '^pci: port I/O \(0xcf8/0xcfc\) for segment 0000 buses 00-ff$' \
	--expect '^pci 0000:00:00\.0 \[8086:1237\] class 0600 Host bridge ' \
	--expect '^pci 0000:00:01\.0 \[8086:7000\] class 0601 ISA bridge ' \
	--expect '^pci 0000:00:0[0-9a-f]\.0 \[1b36:0001\] class 0604 PCI bridge \(rev 00\), buses 01-01, ' \
	--expect '^pci 0000:01:03\.0 \[1b36:0010\] class 0108 Non-Volatile memory controller .*MSI-X\(65\)' \
	--expect '^vda: 1\.0 MiB, 2048 512-byte logical blocks \(physical 512\), write cache$' \
	--expect '^nvme0n1: 1\.0 MiB, 2048 512-byte logical blocks \(physical 512\), write cache$'

echo "== virtio-blk: twelve disks (data, flush, 4K blocks, read-only, blkdebug errors, no indirect, timeouts, one or no MSI-X vector, an unconfirmed reset, refused devices)"
VIRTIO_DIR=$B/test/virtio
sh tests/virtio_images.sh make "$VIRTIO_DIR"
# shellcheck disable=SC2046 # word list on purpose
qemu virtio --iso "$ISO" --cmdline "ktest=virtio" $(sh tests/virtio_images.sh args "$VIRTIO_DIR") \
	--reject '# SKIP' \
	--expect '^virtio-blk 0000:00:0[0-9a-f]\.0: vda: features 0x[0-9a-f]+, queue of 256 \(device allows 256\), indirect descriptors, 126 segments of up to [0-9]+ bytes, MSI-X \(configuration 0, queue 1\), serial .pat.$' \
	--expect '^vda: 64\.0 MiB, 131072 512-byte logical blocks \(physical 512\), write cache$' \
	--expect '^vdc: 16\.0 MiB, 4096 4096-byte logical blocks \(physical 4096\), write cache$' \
	--expect '^vdd: 4\.0 MiB, 8192 512-byte logical blocks \(physical 512\), read-only, write cache$' \
	--expect '^virtio-blk 0000:00:0[0-9a-f]\.0: vdf: features 0x[0-9a-f]+, queue of 256 \(device allows 256\), 126 segments of up to [0-9]+ bytes, MSI-X .*serial .direct.$' \
	--expect '^virtio-blk 0000:00:0[0-9a-f]\.0: vdh: .*MSI-X \(one shared vector\), serial .shared.$' \
	--expect '^virtio-blk 0000:00:0[0-9a-f]\.0: vdi: .*no interrupts: polled every tick, serial .novec.$' \
	--expect '^virtio-blk 0000:00:0[0-9a-f]\.0: device refused features 0x[0-9a-f]+ \(offered 0x[0-9a-f]+\): FEATURES_OK not kept$' \
	--expect '^virtio-blk 0000:00:0[0-9a-f]\.0: transitional device without the modern interface: there is no legacy driver$' \
	--expect '^I/O error, dev vde, sector 4096 op 0x0:\(READ\) flags 0x0$' \
	--expect '^I/O error, dev vde, sector 6144 op 0x1:\(WRITE\) flags 0x0$' \
	--expect '^vdd: write to a read-only block device refused \(sector 8\)$' \
	--expect '^vdg: READ at sector 0 not answered in 300 ms: resetting the device$' \
	--expect '^timeout error, dev vdg, sector 0 op 0x0:\(READ\) flags 0x0$' \
	--expect '^vdg: device reset; 2 requests it held failed$' \
	--expect '^vdg: the device broke the ring \(used element names no chain the device holds\): its requests will time out and it will be reset$' \
	--expect '^vdg: device did not come back after a reset \(-5\): disk offline, I/O fails with -EIO$'
host virtio-images sh tests/virtio_images.sh check "$VIRTIO_DIR" "$LOGS/virtio.log"
echo "== virtio-blk again with 4-level paging (fresh images)"
VIRTIO4_DIR=$B/test/virtio-4level
sh tests/virtio_images.sh make "$VIRTIO4_DIR"
# shellcheck disable=SC2046 # word list on purpose
qemu virtio-4level --iso "$ISO" --cmdline "ktest=virtio no5lvl" --expect-levels 4 \
	$(sh tests/virtio_images.sh args "$VIRTIO4_DIR") --reject '# SKIP'
host virtio-images-4level sh tests/virtio_images.sh check "$VIRTIO4_DIR" "$LOGS/virtio-4level.log"

echo "== NVMe: four controllers (two namespaces and a refused one, 4 KiB blocks, blkdebug errors, a dead one)"
# tests/nvme_images.sh makes the images and the QEMU arguments; afterwards
# the host rebuilds each image from the extents the kernel reports and cmps.
NVME_DIR=$B/test/nvme
sh tests/nvme_images.sh make "$NVME_DIR"
# shellcheck disable=SC2046 # a word list on purpose (no blanks in it)
qemu nvme --iso "$ISO" --cmdline "ktest=nvme" $(sh tests/nvme_images.sh args "$NVME_DIR") \
	--reject '# SKIP needs' \
	--expect '^nvme[0-9]+: QEMU NVMe Ctrl \(serial pagoda-multi, firmware [^)]+\), NVMe 1\.4$' \
	--expect '^nvme[0-9]+: 1 I/O queue pair of 64 entries \(CAP\.MQES 2048\), MSI-X with 2 vectors, doorbell stride 4, max transfer 512\.0 KiB, volatile write cache$' \
	--expect '^nvme[0-9]+n1: 64\.0 MiB, 131072 512-byte logical blocks \(physical 512\), write cache$' \
	--expect '^nvme[0-9]+n2: 8\.0 MiB, 16384 512-byte logical blocks \(physical 512\), write cache$' \
	--expect '^nvme[0-9]+: namespace 3 not used: LBA format [0-9]+ has 8 bytes of metadata per block' \
	--expect '^nvme[0-9]+: .*MSI-X with 1 vector \(admin and I/O share it\)' \
	--expect '^nvme[0-9]+n1: 32\.0 MiB, 8192 4096-byte logical blocks \(physical 4096\), write cache$' \
	--expect '^nvme[0-9]+: .*max transfer 32\.0 KiB' \
	--expect '^nvme[0-9]+n1: READ sector 2048 \(4096 bytes\): Unrecovered Read Error \(sct 0x2, sc 0x81\)$' \
	--expect '^I/O error, dev nvme[0-9]+n1, sector 2048 op 0x0:\(READ\) flags 0x0$' \
	--expect '^nvme[0-9]+n1: WRITE sector 4096 \(4096 bytes\): Write Fault \(sct 0x2, sc 0x80\)$' \
	--expect '^nvme[0-9]+: nvme[0-9]+n1 command id 0x[0-9a-f]+ \(WRITE sector [0-9]+, [0-9]+ bytes\) timed out after [0-9]+ ms, CSTS 0x1$' \
	--expect '^nvme[0-9]+: controller reset in [0-9]+ us: 1 commands re-issued, 0 failed$' \
	--expect '^nvme[0-9]+: controller reset in [0-9]+ us: ([89]|1[0-6]) commands re-issued, 0 failed$' \
	--expect '^nvme[0-9]+n1: command id 0x[0-9a-f]+ \(WRITE sector [0-9]+\) given up after 3 resets$' \
	--expect '^nvme[0-9]+: completion for unknown command id 0xfff on queue 1 \(status 0x0\): dropped$' \
	--expect '^nvme[0-9]+: controller fatal status \(CSTS\.CFS, CSTS 0x2\) waiting for the controller to become ready' \
	--expect '^nvme[0-9]+: controller offline \(it did not come back from a reset\): 2 requests in flight failed' \
	--expect '^nvme[0-9]+: shutdown complete in [0-9]+ us$'
$R --host --name nvme-images --tally "$TALLY" --log "$LOGS/nvme-images.log" \
	-- sh tests/nvme_images.sh check "$LOGS/nvme.log" "$NVME_DIR"
echo "== NVMe again with 4-level paging (fresh images)"
NVME4_DIR=$B/test/nvme-4level
sh tests/nvme_images.sh make "$NVME4_DIR"
# shellcheck disable=SC2046 # a word list on purpose (no blanks in it)
qemu nvme-4level --iso "$ISO" --cmdline "ktest=nvme no5lvl" --expect-levels 4 \
	$(sh tests/nvme_images.sh args "$NVME4_DIR") --reject '# SKIP needs'
$R --host --name nvme-images-4level --tally "$TALLY" --log "$LOGS/nvme-images-4level.log" \
	-- sh tests/nvme_images.sh check "$LOGS/nvme-4level.log" "$NVME4_DIR"

echo "== power-off and restart without isa-debug-exit (QEMU exits 0 by itself)"
qemu poweroff-acpi-q35 --iso "$ISO" --cmdline "ktest=acpi" --no-debug-exit \
	--expect '^pagoda: powering off \(status 0x10\)$' --reject 'still running|halted'
qemu poweroff-syscall-pc --iso "$ISO" --machine pc --no-debug-exit \
	--cmdline "init=/reboot initargs=poweroff" \
	--expect '^reboot: power-off requested by a user program' \
	--expect '^pagoda: powering off \(status 0x10\)$' --reject 'still running|halted'
qemu reboot-acpi-q35 --iso "$ISO" --no-debug-exit --cmdline "init=/reboot initargs=restart reboot=acpi" \
	--expect '^pagoda: restarting via ACPI reset register \(io 0xcf9 <- 0xf\)' \
	--reject 'did not take effect|halted'
qemu reboot-kbd-pc --iso "$ISO" --machine pc --no-debug-exit \
	--cmdline "init=/reboot initargs=restart reboot=kbd" \
	--expect '^pagoda: restarting via 8042 keyboard controller' \
	--reject 'did not take effect|halted'
qemu reboot-triple-q35 --iso "$ISO" --no-debug-exit --cmdline "init=/reboot initargs=restart reboot=triple" \
	--expect '^pagoda: restarting via triple fault' --reject 'did not take effect|halted'

# The test window of kernel/crashtest.c: vmalloc base + 3 GiB, the page after it.
echo "== crash scenarios"
# A crash on purpose from user space, as Linux's: a line written to /dev/kmsg
# lands in the kernel log, then "c" to /proc/sysrq-trigger oopses in
# sysrq_handle_crash (userland/sysrq_crash.c, the initrd's /sysrq_crash).
qemu crash-sysrq --iso "$ISO" --cmdline "init=/sysrq_crash" --expect-oops \
	--expect '^sysrq_crash: about to crash the kernel$' --expect '^sysrq: Trigger a crash$' \
	--expect '^BUG: unable to handle page fault at address 0000000000000000$' \
	--expect '^RIP: 0008:[0-9a-f]{16} sysrq_handle_crash\+0x' \
	--expect '^  \[<[0-9a-f]{16}>\] sysrq_trigger_store\+0x' --reject 'the kernel is still running'
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

# The in-kernel suites where optional features are missing: the cpu suite
# checks the patched nop sites, the control bits and the absence of NX bits.
echo "== CPUs without optional features"
qemu ktest-nehalem --iso "$ISO" --cpu Nehalem --cmdline "ktest" \
	--expect '^cpu: protections on: NX WP; CPU lacks: SMEP SMAP$' \
	--expect '^cpu: in use: fxsave ' \
	--expect '^alternatives: [1-9][0-9]* of [1-9][0-9]* nop sites patched to NOPs$' \
	--expect '# Subtest: cpu$'
qemu ktest-qemu64-nonx --iso "$ISO" --cpu qemu64,-nx --cmdline "ktest" \
	--expect '^cpu: protections on: WP; CPU lacks: NX SMEP SMAP$' \
	--expect '# Subtest: cpu$'
qemu ktest-xsave-no-xsaveopt --iso "$ISO" --cpu max,-xsaveopt --cmdline "ktest no5lvl" \
	--expect-levels 4 \
	--expect '^cpu: in use: xsave avx ' --expect '^fpu: xsave, ' \
	--expect '# Subtest: cpu$'
qemu utest-qemu64-nonx --iso "$ISO" --cpu qemu64,-nx --cmdline "utest" --timeout 900 \
	--expect '^cpu: protections on: WP; CPU lacks: NX SMEP SMAP$' \
	--expect 'ok 1 executing from a non-executable page is SIGSEGV, SEGV_ACCERR # SKIP CPU without NX$'

echo "== boot matrix (short; make matrix runs the full one)"
sh tools/matrix.sh --short --tally "$TALLY"

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
	--qemu-arg -drive --qemu-arg "if=none,id=demo,format=raw,snapshot=on,file=$B/demo-disk.img" \
	--qemu-arg -device --qemu-arg nvme,serial=demo,drive=demo \
	--expect '^ok 1 demo$' --expect '^# init: 1 programs, 0 failed' \
	--expect 'ok 10 the volume unmounts$' --reject 'ok [0-9]+ .* # SKIP'

echo "== tools/pagoda-run"
$R --host --name pagoda-run --timeout 300 --tally "$TALLY" --log "$LOGS/pagoda-run.log" \
	-- sh tests/pagoda_run.sh

echo "== ext2 through the VFS: mke2fs -d images on virtio-blk and NVMe, one tools/pagoda-run"
# userland/ext2_disk on the host (copies of the tree) and on Pagoda (the
# images mounted -t ext2); same output; e2fsck -fn and debugfs afterwards.
# In 4-level paging: the other disk scripts run in 5-level (-cpu max), so the
# file side is covered in both paging modes.
PAGODA_CMDLINE=no5lvl $R --host --name ext2-disk --timeout 300 --tally "$TALLY" \
	--log "$LOGS/ext2-disk.log" -- sh tests/ext2_disk.sh "$B/test/ext2-disk"

echo "== the memory counters on a disk: userland/proc_mm --disk on the host and on ext2 over virtio-blk"
$R --host --name proc-mm-disk --timeout 300 --tally "$TALLY" --log "$LOGS/proc-mm-disk.log" \
	-- sh tests/proc_mm_disk.sh "$B/test/proc-mm-disk"

echo "== block devices as files: loop devices on the host, NVMe and virtio-blk on Pagoda"
# userland/blkdev_file: ioctls, reads and writes at the end, write(), shared
# and private mappings, fsync, BLKFLSBUF, O_EXCL; the images cmp'd after QEMU.
$R --host --name blkdev-file --timeout 300 --tally "$TALLY" --log "$LOGS/blkdev-file.log" \
	-- sh tests/blkdev_file.sh "$B/test/blkdev-file"

echo "== root= on an ext2 disk (tools/pagoda-run --root)"
$R --host --name root-fs --timeout 600 --tally "$TALLY" --log "$LOGS/root-fs.log" \
	-- sh tests/root_fs.sh "$B/test/root-fs"

echo "== files under pressure: a file twice RAM, a kill after fsync (ext2 on NVMe)"
$R --host --name disk-stress --timeout 600 --tally "$TALLY" --log "$LOGS/disk-stress.log" \
	-- sh tests/disk_stress.sh "$B/test/disk-stress"

echo "== summary"
$R --summarize "$TALLY"
