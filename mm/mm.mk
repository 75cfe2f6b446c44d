# mm/: host-compilable memory management (no arch header).
MM_SRCS :=
MM_SRCS += mm/memmap.c mm/kmap.c
MM_SRCS += mm/pgtable.c
MM_SRCS += mm/buddy.c mm/slab.c
MM_SRCS += mm/vma.c mm/mmap.c
MM_SRCS += mm/memory.c mm/shared_anon.c
MM_SRCS += mm/fork.c mm/audit.c
MM_SRCS += mm/ioremap.c
MM_SRCS += mm/filemap.c mm/readahead.c mm/page_wait.c mm/rmap.c mm/vmscan.c mm/page-writeback.c mm/msync.c
MM_SRCS += mm/filemap_rw.c mm/vmstat.c
