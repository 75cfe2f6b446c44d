# userland/: static Linux test programs built with musl-gcc, and the initrd.
#
#   build/userland/NAME      each program (musl-gcc -static); hello_pie is
#                            the same hello linked as a static PIE
#   build/userland/bad/*.elf malformed programs (userland/mkbadelf.sh)
#   build/initrd.img         cpio newc archive: /tests/* and /tests/list
#                            (userland/tests.list), /init, /demo and
#                            /demo.list, loaded by the loader from
#                            \pagoda\initrd.img
#
# Every program also runs on the host Linux in `make check`, and its output
# must be the same there (tests/check.sh).

USER_CC := musl-gcc
USER_CFLAGS := -O2 -Wall -Wextra -Werror -Iuserland/include -fno-strict-aliasing
MUSL_LIB := /usr/lib/x86_64-linux-musl

USERLAND_PROGS := hello exit_code segv_default fs_syscalls anon_zero wp_after_read \
	mprotect_none file_map msync_mincore unmapped_hole munmap_split map_fixed brk stack_growth guard_gap \
	exec_nx kernel_addr wild_write sigframe_fpu
# The copy-on-write matrix across fork; the programs share cow_common.h.
COW_PROGS := cow_basic cow_vma cow_shared cow_read cow_many cow_exec
USERLAND_PROGS += $(COW_PROGS)
# Processes: fork, exec, wait, vfork and clone.
PROC_PROGS := fork_wait exec_args vfork_clone exec_file
USERLAND_PROGS += $(PROC_PROGS)
# Files: the VFS and ramfs (issue 8).
USERLAND_PROGS += vfs_files vfs_calls
USERLAND_PROGS += proc_mm
# Run by tests/ext2_disk.sh with tools/pagoda-run on ext2 disks (not in the
# initrd: pagoda-run makes its own), and on the host on copies of the tree.
USERLAND_DISK_PROGS := ext2_disk blkdev_file root_init big_file fsync_kill full_disk
USERLAND_DISK_BINS := $(USERLAND_DISK_PROGS:%=$(BUILD)/userland/%)
# At the initrd's root: the userland init (pid 1 under `utest` and `demo`)
# and the `make run` demo with its one-line list (kernel/uinit.c).
# /reboot ends the machine through reboot(2), /sysrq_crash oopses it through
# /proc/sysrq-trigger: Pagoda-only, run by check.sh.
INITRD_ROOT_FILES := $(BUILD)/userland/init $(BUILD)/userland/demo userland/demo.list \
	$(BUILD)/userland/reboot $(BUILD)/userland/sysrq_crash
USERLAND_BAD := bad_magic bad_machine bad_phentsize truncated entry_outside dynamic

USERLAND_BINS := $(USERLAND_PROGS:%=$(BUILD)/userland/%) $(BUILD)/userland/hello_pie
USERLAND_BAD_ELFS := $(USERLAND_BAD:%=$(BUILD)/userland/bad/%.elf)

$(BUILD)/userland/%: userland/%.c userland/include/utest.h | deps
	@mkdir -p $(@D)
	$(USER_CC) -static $(USER_CFLAGS) $< -o $@

$(COW_PROGS:%=$(BUILD)/userland/%): userland/cow_common.h

# musl-gcc's specs always start programs with Scrt1.o; a static PIE needs
# rcrt1.o, which relocates the program itself at start-up.
$(BUILD)/userland/hello_pie.o: userland/hello.c userland/include/utest.h | deps
	@mkdir -p $(@D)
	$(USER_CC) -fPIE $(USER_CFLAGS) -c $< -o $@

$(BUILD)/userland/hello_pie: $(BUILD)/userland/hello_pie.o
	$(CC) -static-pie -nostdlib -nostartfiles -o $@ $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
		$$($(CC) -print-file-name=crtbeginS.o) $< -L$(MUSL_LIB) -lc \
		$$($(CC) -print-libgcc-file-name) $$($(CC) -print-file-name=crtendS.o) \
		$(MUSL_LIB)/crtn.o

$(BUILD)/userland/hello_dynamic: userland/hello.c userland/include/utest.h | deps
	@mkdir -p $(@D)
	$(USER_CC) $(USER_CFLAGS) $< -o $@

$(USERLAND_BAD_ELFS) &: $(BUILD)/userland/hello $(BUILD)/userland/hello_dynamic \
		userland/mkbadelf.sh
	sh userland/mkbadelf.sh $(BUILD)/userland/hello $(BUILD)/userland/hello_dynamic \
		$(BUILD)/userland/bad

# The initrd, staged in build/initrd/ and archived with an explicit file list.
$(BUILD)/initrd.img: $(USERLAND_BINS) $(USERLAND_BAD_ELFS) userland/tests.list \
		$(INITRD_ROOT_FILES)
	rm -rf $(BUILD)/initrd
	mkdir -p $(BUILD)/initrd/tests
	cp $(USERLAND_BINS) $(USERLAND_BAD_ELFS) $(BUILD)/initrd/tests/
	cp userland/tests.list $(BUILD)/initrd/tests/list
	cp $(INITRD_ROOT_FILES) $(BUILD)/initrd/
	cd $(BUILD)/initrd && { echo tests; echo tests/list; \
		for f in $(notdir $(USERLAND_BINS) $(USERLAND_BAD_ELFS)); do echo tests/$$f; done; \
		for f in $(notdir $(INITRD_ROOT_FILES)); do echo $$f; done; } | \
		cpio -o -H newc --quiet --reproducible > ../initrd.img

.PHONY: userland
userland: $(USERLAND_BINS) $(USERLAND_DISK_BINS) $(BUILD)/initrd.img
