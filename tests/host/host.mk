# Host unit tests: mm/ and the pure-C arch files compiled with the host
# compiler under ASan + UBSan, linked with a simulated machine
# (tests/host/fake_arch.c) and stdio-backed printk/panic (host_support.c).
#
# To add a test: append NAME to HOST_TESTS and list its sources in
# HOST_TEST_NAME_SRCS (the test file plus the code under test).

HOST_SUPPORT_SRCS := tests/host/host_support.c tests/host/fake_arch.c tests/host/ktap.c

HOST_TESTS :=

# The page cache the fault path calls into (mm/memory.c links it), with the
# host's stand-in for sleeping on a page bit.
HOST_PAGECACHE_SRCS := mm/filemap.c mm/readahead.c mm/rmap.c mm/vmscan.c mm/vmstat.c mm/page-writeback.c mm/msync.c \
	lib/xarray.c tests/host/fake_page_wait.c tests/host/fake_writeback.c fs/file_table.c

HOST_TEST_BINS = $(HOST_TESTS:%=$(BUILD)/host/test_%)
host_test_objs = $(patsubst %.c,$(BUILD)/host/obj/%.o,$(HOST_TEST_$(1)_SRCS) $(HOST_SUPPORT_SRCS))

$(BUILD)/host/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

define host_test_rule
$(BUILD)/host/test_$(1): $(call host_test_objs,$(1))
	$$(HOSTCC) $$(HOST_CFLAGS) -o $$@ $$^
endef


HOST_TESTS += pgtable
HOST_TEST_pgtable_SRCS := tests/host/test_pgtable.c mm/pgtable.c mm/buddy.c arch/x86_64/mm/pte.c

HOST_TESTS += memmap elf_check vsprintf
HOST_TEST_memmap_SRCS := tests/host/test_memmap.c mm/memmap.c mm/buddy.c
HOST_TEST_elf_check_SRCS := tests/host/test_elf_check.c efi/elf_check.c
HOST_TEST_vsprintf_SRCS := tests/host/test_vsprintf.c tests/host/vsprintf_shim.c

HOST_TESTS += buddy slab
HOST_TEST_buddy_SRCS := tests/host/test_buddy.c mm/buddy.c
HOST_TEST_slab_SRCS := tests/host/test_slab.c mm/slab.c mm/buddy.c

HOST_TESTS += cpio
HOST_TEST_cpio_SRCS := tests/host/test_cpio.c fs/cpio.c fs/file_table.c fs/fdtable.c

HOST_TESTS += iov_iter
HOST_TEST_iov_iter_SRCS := tests/host/test_iov_iter.c lib/iov_iter.c

HOST_TESTS += elf_exec
HOST_TEST_elf_exec_SRCS := tests/host/test_elf_exec.c kernel/exec_elf.c

HOST_TESTS += fault
HOST_TEST_fault_SRCS := tests/host/test_fault.c tests/host/fake_mm.c mm/memory.c mm/shared_anon.c mm/mmap.c \
	mm/vma.c mm/pgtable.c mm/buddy.c mm/slab.c arch/x86_64/mm/pte.c lib/rbtree.c \
	$(HOST_PAGECACHE_SRCS)

HOST_TESTS += filemap
HOST_TEST_filemap_SRCS := tests/host/test_filemap.c tests/host/fake_mm.c $(HOST_PAGECACHE_SRCS) \
	mm/audit.c mm/fork.c mm/memory.c mm/shared_anon.c mm/mmap.c mm/vma.c mm/pgtable.c mm/buddy.c mm/slab.c \
	arch/x86_64/mm/pte.c lib/rbtree.c

HOST_TESTS += rbtree mmap
HOST_TEST_rbtree_SRCS := tests/host/test_rbtree.c lib/rbtree.c
HOST_TEST_mmap_SRCS := tests/host/test_mmap.c mm/mmap.c mm/vma.c mm/shared_anon.c \
	mm/pgtable.c mm/slab.c mm/buddy.c lib/rbtree.c arch/x86_64/mm/pte.c mm/memory.c \
	$(HOST_PAGECACHE_SRCS)

HOST_TESTS += fork
HOST_TEST_fork_SRCS := tests/host/test_fork.c tests/host/fake_mm.c mm/fork.c mm/memory.c mm/shared_anon.c \
	mm/mmap.c mm/vma.c mm/pgtable.c mm/buddy.c mm/slab.c arch/x86_64/mm/pte.c lib/rbtree.c \
	$(HOST_PAGECACHE_SRCS)

HOST_TESTS += audit
HOST_TEST_audit_SRCS := tests/host/test_audit.c tests/host/fake_mm.c mm/audit.c mm/fork.c mm/memory.c \
	mm/shared_anon.c mm/mmap.c mm/vma.c mm/pgtable.c mm/buddy.c mm/slab.c \
	arch/x86_64/mm/pte.c lib/rbtree.c $(HOST_PAGECACHE_SRCS)

HOST_TESTS += ioremap
HOST_TEST_ioremap_SRCS := tests/host/test_ioremap.c mm/ioremap.c mm/pgtable.c mm/buddy.c \
	arch/x86_64/mm/pte.c

HOST_TESTS += acpi
HOST_TEST_acpi_SRCS := tests/host/test_acpi.c $(ACPI_PARSER_SRCS)

HOST_TESTS += pci
HOST_TEST_pci_SRCS := tests/host/test_pci.c $(PCI_CORE_SRCS) mm/slab.c mm/buddy.c

HOST_TESTS += partitions
HOST_TEST_partitions_SRCS := tests/host/test_partitions.c block/partitions/core.c \
	block/partitions/efi.c block/partitions/msdos.c lib/crc32.c tests/lib/part_image.c
PART_IMAGES_STAMP := $(BUILD)/test/part/stamp
$(PART_IMAGES_STAMP): tests/host/mkpartimg.sh | deps
	sh tests/host/mkpartimg.sh $(@D)
$(BUILD)/host/test_partitions: | $(PART_IMAGES_STAMP)

HOST_TESTS += blk_split
HOST_TEST_blk_split_SRCS := tests/host/test_blk_split.c block/blk_split.c mm/buddy.c

HOST_TESTS += blk_util
HOST_TEST_blk_util_SRCS := tests/host/test_blk_util.c block/disk_name.c lib/crc32.c
$(BUILD)/host/test_blk_util: | build/tools/blk-pattern

HOST_TESTS += virtio_ring
HOST_TEST_virtio_ring_SRCS := tests/host/test_virtio_ring.c $(VIRTIO_RING_SRCS)

HOST_TESTS += nvme
HOST_TEST_nvme_SRCS := tests/host/test_nvme.c $(NVME_LIB_SRCS)

HOST_TESTS += ext2
HOST_TEST_ext2_SRCS := tests/host/test_ext2.c $(EXT2_SRCS)

HOST_TESTS += xarray
HOST_TEST_xarray_SRCS := tests/host/test_xarray.c lib/xarray.c mm/slab.c mm/buddy.c
