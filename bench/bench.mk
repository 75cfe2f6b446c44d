# bench/bench.mk - `make bench`: Pagoda against Debian's Linux kernel in the
# same QEMU configuration (docs/benchmarks.md says what is measured and how).
# A benchmark, not a test: `make check` does not run it.
#
# Expects from the includer: BUILD, the $(BUILD)/pagoda.iso, BOOTX64.EFI and
# kernel.elf rules, and the deps target.
# Provides: bench (phony), BENCH_BINS (the static benchmark programs).

BENCH_PROGS := page_fault1 mmap_churn fork_cow
BENCH_CC := musl-gcc
BENCH_CFLAGS := -static -O2 -std=gnu11 -Wall -Wextra -Werror
BENCH_BINS := $(BENCH_PROGS:%=$(BUILD)/bench/%)
BENCH_INITRAMFS := $(BUILD)/bench/initramfs.cpio
BENCH_ISO := $(BUILD)/bench/pagoda-bench.iso

$(BENCH_BINS): $(BUILD)/bench/%: bench/%.c bench/common.c bench/bench.h bench/bench.mk | deps
	@mkdir -p $(@D)
	$(BENCH_CC) $(BENCH_CFLAGS) -o $@ $< bench/common.c

# The programs at the archive's root: /page_fault1, /mmap_churn, /fork_cow. The same
# archive is Linux's initramfs (rdinit=/PROG) and Pagoda's initrd (init=/PROG).
$(BENCH_INITRAMFS): $(BENCH_BINS)
	cd $(@D) && printf '%s\n' $(BENCH_PROGS) | cpio -o -H newc --quiet --owner=0:0 > $(@F).tmp
	mv $@.tmp $@

# Pagoda's ISO with that initrd on its ESP; the command line comes from fw_cfg.
$(BENCH_ISO): $(BUILD)/BOOTX64.EFI $(BUILD)/kernel.elf efi/cmdline.txt $(BENCH_INITRAMFS) \
		tools/mkesp.sh tools/mkiso.sh
	sh tools/mkesp.sh $(BUILD)/bench/pagoda-bench.img $(BUILD)/BOOTX64.EFI \
		$(BUILD)/kernel.elf efi/cmdline.txt $(BENCH_INITRAMFS)
	sh tools/mkiso.sh $@ $(BUILD)/bench/pagoda-bench.img

.PHONY: bench
bench: deps $(BUILD)/pagoda.iso $(BENCH_BINS) $(BENCH_INITRAMFS) $(BENCH_ISO) tools/bench.sh
	@bash tools/bench.sh $(BUILD) docs/benchmarks.md $(BENCH_ISO) $(BENCH_PROGS)
