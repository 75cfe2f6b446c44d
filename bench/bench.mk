# bench/bench.mk - `make bench`: Pagoda against Debian's Linux kernel in the
# same QEMU configuration (docs/benchmarks.md says what is measured and how).
# A benchmark, not a test: `make check` does not run it.
#
# Expects from the includer: BUILD, HOSTCC, the $(BUILD)/pagoda.iso,
# BOOTX64.EFI and kernel.elf rules, and the deps target.
# Provides: bench (phony), BENCH_BINS (the static benchmark programs).

# Programs that measure memory alone (one row each, named as the program).
BENCH_PROGS := page_fault1 mmap_churn fork_cow
# Programs that measure files on the benchmark disk, with the rows each prints
# in order (tools/bench.sh: PROG:ROW,ROW...).
BENCH_FILE_PROGS := file_read file_write
BENCH_ROWS_file_read := file_cold_read,file_warm_read
BENCH_ROWS_file_write := file_private_write,file_shared_write,file_shared_write_dirty,file_fsync
BENCH_CC := musl-gcc
BENCH_CFLAGS := -static -O2 -std=gnu11 -Wall -Wextra -Werror
BENCH_ALL := $(BENCH_PROGS) $(BENCH_FILE_PROGS)
BENCH_BINS := $(BENCH_ALL:%=$(BUILD)/bench/%)
BENCH_INITRAMFS := $(BUILD)/bench/initramfs.cpio
BENCH_ISO := $(BUILD)/bench/pagoda-bench.iso
BENCH_MKDATA := $(BUILD)/bench/mkdata
BENCH_DISK := $(BUILD)/bench/disk.img
BENCH_EXPECT := $(BUILD)/bench/expect

$(BENCH_BINS): $(BUILD)/bench/%: bench/%.c bench/common.c bench/bench.h \
		bench/file.c bench/file.h bench/bench.mk | deps
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $< bench/common.c bench/file.c

# The programs at the archive's root: /page_fault1, /mmap_churn, ... The same
# archive is Linux's initramfs (rdinit=/PROG) and Pagoda's initrd (init=/PROG).
$(BENCH_INITRAMFS): $(BENCH_BINS)
	cd $(@D) && printf '%s\n' $(BENCH_ALL) | cpio -o -H newc --quiet --owner=0:0 > $(@F).tmp
	mv $@.tmp $@

# Pagoda's ISO with that initrd on its ESP; the command line comes from fw_cfg.
$(BENCH_ISO): $(BUILD)/BOOTX64.EFI $(BUILD)/kernel.elf efi/cmdline.txt $(BENCH_INITRAMFS) \
		tools/mkesp.sh tools/mkiso.sh
	sh tools/mkesp.sh $(BUILD)/bench/pagoda-bench.img $(BUILD)/BOOTX64.EFI \
		$(BUILD)/kernel.elf efi/cmdline.txt $(BENCH_INITRAMFS)
	sh tools/mkiso.sh $@ $(BUILD)/bench/pagoda-bench.img

$(BENCH_MKDATA): bench/mkdata.c bench/file.h bench/bench.mk
	@mkdir -p $(@D)
	$(HOSTCC) -O2 -std=gnu11 -Wall -Wextra -Werror -o $@ $<

# The benchmark disk: ext2, 4 KiB blocks, /data = 64 MiB of bench_pattern(),
# 192 MiB in all (room for file_write's /new). tools/bench.sh attaches a fresh
# copy to every run of a file program as an NVMe namespace.
$(BENCH_DISK): $(BENCH_MKDATA)
	rm -rf $@.tree && mkdir -p $@.tree
	$(BENCH_MKDATA) > $@.tree/data
	rm -f $@.tmp
	mke2fs -q -F -t ext2 -b 4096 -d $@.tree $@.tmp 192M
	rm -rf $@.tree
	mv $@.tmp $@

# What the disk must hold after each file program (EXPECT/PROG/FILE, compared
# with debugfs by tools/bench.sh): file_read changes nothing; file_write's
# shared stores XOR their marks (bench/file_write.c store_mark) into the first
# word of every page of /data and /new, both fsynced.
$(BENCH_EXPECT)/stamp: $(BENCH_MKDATA) bench/file_write.c
	rm -rf $(@D) && mkdir -p $(@D)/file_read $(@D)/file_write
	$(BENCH_MKDATA) > $(@D)/file_read/data
	$(BENCH_MKDATA) 0x2222000000000002 > $(@D)/file_write/data
	$(BENCH_MKDATA) 0x3333000000000003 > $(@D)/file_write/new
	touch $@

.PHONY: bench
bench: deps $(BUILD)/pagoda.iso $(BENCH_BINS) $(BENCH_INITRAMFS) $(BENCH_ISO) \
		$(BENCH_DISK) $(BENCH_EXPECT)/stamp tools/bench.sh
	@bash tools/bench.sh $(BUILD) docs/benchmarks.md $(BENCH_ISO) $(BENCH_PROGS) \
		--disk $(BENCH_DISK) \
		$(foreach p,$(BENCH_FILE_PROGS),$(p):$(BENCH_ROWS_$(p)))
