/*
 * Host tests of the page cache core (mm/filemap.c, mm/readahead.c) over
 * simulated RAM and a fake file system: a "disk" array holds the file's
 * bytes; its read_folio copies from it (at once, or left pending until
 * the test or a would-be sleep completes it, as an interrupt handler
 * would), its writepage copies back; errors can be injected per page.
 * Every case ends with every page back in the allocator and the counters
 * of page_cache_stats back at zero.
 */
#include "ktap.h"
#include "fake_arch.h"
#include "fake_mm.h"
#include "fake_page_wait.h"
#include "fake_writeback.h"
#include <mm/arch.h>
#include <mm/audit.h>
#include <mm/mm.h>
#include <mm/pagemap.h>
#include <mm/page_ref.h>
#include <mm/pmm.h>
#include <mm/vmscan.h>
#include <mm/writeback.h>
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <string.h>
#include <signal.h>

#define RAM_BASE_PFN	0x1000UL
#define KERNEL_PAGES	2048UL
#define USER_PAGES	1024UL
#define PG		PAGE_SIZE
#define FILE_PAGES	96		/* the fake file's size, in pages */

static u8 disk[FILE_PAGES * PAGE_SIZE];
static bool bad_page[FILE_PAGES];	/* reads and writes of these fail with -EIO */
static bool async_reads;		/* leave reads pending until fake_page_io */
static struct page *pending[FILE_PAGES * 2];
static unsigned int nr_pending;
static unsigned int reads, writes;
static unsigned int batches[32], nr_batches;	/* ->readahead batch sizes, in order */

static struct inode inode;
static struct address_space mapping;
static struct file file;

static u8 *page_bytes(struct page *page)
{
	return phys_to_virt(PFN_PHYS(pmm_page_to_pfn(&upmm, page)));
}

/* The disk's read of @page ends now (the completion an interrupt handler would run). */
static void complete_read(struct page *page)
{
	pgoff_t i = page->index;

	if (i >= FILE_PAGES || bad_page[i]) {
		page_read_done(page, -EIO);
		return;
	}
	memcpy(page_bytes(page), disk + i * PG, PG);
	page_read_done(page, 0);
}

static void run_pending_io(void)
{
	while (nr_pending)
		complete_read(pending[--nr_pending]);
}

static int fake_read_folio(struct file *f, struct page *page)
{
	KT_EXPECT(PageLocked(page) && !PageUptodate(page));
	reads++;
	if (async_reads) {
		pending[nr_pending++] = page;
		return 0;
	}
	complete_read(page);
	return 0;
}

static void fake_readahead(struct readahead_control *rac)
{
	if (nr_batches < 32)
		batches[nr_batches++] = rac->nr_pages;
	for (unsigned int i = 0; i < rac->nr_pages; i++) {
		KT_EXPECT_EQ(rac->pages[i]->index, rac->index + i);
		fake_read_folio(rac->file, rac->pages[i]);
	}
}

static int fake_writepage(struct page *page, struct writeback_control *wbc)
{
	pgoff_t i = page->index;
	int err = bad_page[i] ? -EIO : 0;

	KT_EXPECT(PageLocked(page) && page_test_flag(page, PG_writeback));
	KT_EXPECT(!page_test_flag(page, PG_dirty));
	writes++;
	if (!err)
		memcpy(disk + i * PG, page_bytes(page), PG);
	unlock_page(page);
	page_end_writeback(page, err);
	return err;
}

static const struct address_space_operations fake_aops = {
	.read_folio = fake_read_folio,
	.readahead = fake_readahead,
	.writepage = fake_writepage,
};

static const struct address_space_operations fake_aops_no_ra = {
	.read_folio = fake_read_folio,
	.writepage = fake_writepage,
};

/* ---- fixture ---- */

static void setup(const struct address_space_operations *aops)
{
	fake_mm_user_reset(4);
	memset(&page_cache_stats, 0, sizeof(page_cache_stats));
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (u8)(i / PG * 7 + i % 251);
	memset(bad_page, 0, sizeof(bad_page));
	async_reads = false;
	nr_pending = reads = writes = nr_batches = 0;
	fake_page_io = run_pending_io;
	memset(&inode, 0, sizeof(inode));
	inode.i_size = FILE_PAGES * PG;
	address_space_init(&mapping, &inode, aops, &upmm);
	inode.i_mapping = &mapping;
	memset(&file, 0, sizeof(file));
	file.f_mapping = &mapping;
	file_ra_state_init(&file.f_ra, &mapping);
}

static void teardown(void)
{
	run_pending_io();
	truncate_inode_pages(&mapping, 0);
	mapping_forget_dirty(&mapping);		/* as an inode's eviction does */

	KT_EXPECT_EQ(mapping.nrpages, 0);
	KT_EXPECT(xa_empty(&mapping.i_pages));
	KT_EXPECT_EQ(page_cache_stats.nr_file_pages, 0);
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 0);
	KT_EXPECT_EQ(page_cache_stats.nr_writeback, 0);
	KT_EXPECT_EQ(xa_nodes_in_use(), 0);
	xa_shrink_cache();
	fake_mm_user_check();
}

static bool page_is_disk(struct page *page, pgoff_t index)
{
	return memcmp(page_bytes(page), disk + index * PG, PG) == 0;
}

/* ---- cases ---- */

static void t_get_create_lock_delete(void)
{
	struct page *p, *q;

	setup(&fake_aops);
	KT_EXPECT(find_get_page(&mapping, 3) == NULL);
	p = pagecache_get_page(&mapping, 3, FGP_LOCK | FGP_CREAT, GFP_KERNEL);
	KT_ASSERT(p);
	KT_EXPECT(PageLocked(p) && !PageUptodate(p));
	KT_EXPECT_EQ(p->refcount, 2);			/* the cache's and ours */
	KT_EXPECT(p->mapping == &mapping && p->index == 3);
	KT_EXPECT_EQ(mapping.nrpages, 1);
	KT_EXPECT_EQ(page_cache_stats.nr_file_pages, 1);
	/* busy: a non-waiting lookup gives up, a plain one finds it */
	KT_EXPECT(pagecache_get_page(&mapping, 3, FGP_LOCK | FGP_NOWAIT, 0) == NULL);
	q = find_get_page(&mapping, 3);
	KT_EXPECT(q == p);
	KT_EXPECT_EQ(p->refcount, 3);
	put_page(&upmm, q);
	/* a second creator finds the first one's page */
	unlock_page(p);
	q = pagecache_get_page(&mapping, 3, FGP_CREAT, GFP_KERNEL);
	KT_EXPECT(q == p);
	put_page(&upmm, q);
	/* adding another page where one is: -EEXIST, the newcomer untouched */
	q = pmm_alloc_pages(&upmm, 0, 0);
	KT_ASSERT(q);
	page_set_flag(q, PG_locked);
	KT_EXPECT_EQ(add_to_page_cache(q, &mapping, 3, GFP_KERNEL), -EEXIST);
	KT_EXPECT(q->mapping == NULL && q->refcount == 1);
	page_clear_flag(q, PG_locked);
	put_page(&upmm, q);
	/* deleted: the cache's reference goes, ours stays */
	lock_page(p);
	delete_from_page_cache(p);
	KT_EXPECT(p->mapping == NULL);
	KT_EXPECT_EQ(p->refcount, 1);
	KT_EXPECT_EQ(mapping.nrpages, 0);
	KT_EXPECT(find_get_page(&mapping, 3) == NULL);
	unlock_page(p);
	put_page(&upmm, p);
	teardown();
}

static void t_read_mapping_page(void)
{
	struct page *p;

	setup(&fake_aops);
	p = read_mapping_page(&mapping, 5, &file);
	KT_ASSERT(!IS_ERR(p));
	KT_EXPECT(PageUptodate(p) && !PageLocked(p));
	KT_EXPECT(page_is_disk(p, 5));
	KT_EXPECT_EQ(reads, 1);
	put_page(&upmm, p);
	/* cached: no second read */
	p = read_mapping_page(&mapping, 5, &file);
	KT_ASSERT(!IS_ERR(p));
	KT_EXPECT_EQ(reads, 1);
	put_page(&upmm, p);
	/* an asynchronous read: the wait runs the completion */
	async_reads = true;
	p = read_mapping_page(&mapping, 6, &file);
	KT_ASSERT(!IS_ERR(p));
	KT_EXPECT(page_is_disk(p, 6));
	KT_EXPECT(fake_page_waits > 0);
	put_page(&upmm, p);
	/* a failed read: -EIO, PG_error, the page stays cached but not uptodate */
	bad_page[7] = true;
	p = read_mapping_page(&mapping, 7, &file);
	KT_EXPECT(IS_ERR(p) && PTR_ERR(p) == -EIO);
	p = find_get_page(&mapping, 7);
	KT_ASSERT(p);
	KT_EXPECT(page_test_flag(p, PG_error) && !PageUptodate(p));
	put_page(&upmm, p);
	/* the medium recovers: the next read reads again and succeeds */
	bad_page[7] = false;
	p = read_mapping_page(&mapping, 7, &file);
	KT_ASSERT(!IS_ERR(p));
	KT_EXPECT(page_is_disk(p, 7) && !page_test_flag(p, PG_error));
	put_page(&upmm, p);
	KT_EXPECT_EQ(page_cache_stats.pgpgin, 3);
	teardown();
}

/*
 * A sequential reader of one page at a time: a first window of 4 pages,
 * then 8, 16, 32, 32 (the maximum), each started when the reader reaches
 * the marker at the start of the window before it, so the reader is a
 * window behind; the last window stops at the end of the file (4 pages).
 */
static void t_readahead_windows_grow(void)
{
	static const unsigned int expect[] = { 4, 8, 16, 32, 32, 4 };

	setup(&fake_aops);
	for (pgoff_t i = 0; i < 80; i++) {
		struct page *p = find_get_page(&mapping, i);

		if (!p) {
			page_cache_sync_readahead(&mapping, &file.f_ra, &file, i, 1);
			p = find_get_page(&mapping, i);
		} else if (page_test_flag(p, PG_readahead)) {
			page_cache_async_readahead(&mapping, &file.f_ra, &file, p, i, 1);
		}
		KT_ASSERT(p);
		KT_EXPECT(PageUptodate(p) && page_is_disk(p, i));
		file.f_ra.prev_pos = (loff_t)i * PG;
		put_page(&upmm, p);
	}
	KT_EXPECT_EQ(nr_batches, 6);
	for (unsigned int i = 0; i < 6 && i < nr_batches; i++)
		KT_EXPECT_EQ(batches[i], expect[i]);
	/* the whole file read ahead of the reader, every page once */
	KT_EXPECT_EQ(reads, FILE_PAGES);
	KT_EXPECT_EQ(page_cache_stats.ra_pages, FILE_PAGES);
	teardown();
}

/* A random access reads what it asked for; the end of the file bounds every window. */
static void t_readahead_random_and_eof(void)
{
	struct page *p;

	setup(&fake_aops_no_ra);
	page_cache_sync_readahead(&mapping, &file.f_ra, &file, 40, 2);
	KT_EXPECT_EQ(reads, 2);
	KT_EXPECT_EQ(mapping.nrpages, 2);
	p = find_get_page(&mapping, 41);
	KT_ASSERT(p);
	KT_EXPECT(!page_test_flag(p, PG_readahead));
	put_page(&upmm, p);
	/* at the end: a window of 32 from page 90 reads only 90..95 */
	file.f_ra.prev_pos = 89 * (loff_t)PG;
	page_cache_sync_readahead(&mapping, &file.f_ra, &file, 90, 32);
	KT_EXPECT_EQ(reads, 2 + 6);
	KT_EXPECT(find_get_page(&mapping, 96) == NULL);
	page_cache_ra_unbounded(&mapping, &file, FILE_PAGES, 4, 0);
	KT_EXPECT_EQ(reads, 8);
	teardown();
}

static void dirty_page(pgoff_t index, u8 byte)
{
	struct page *p = read_mapping_page(&mapping, index, &file);

	KT_ASSERT(!IS_ERR(p));
	memset(page_bytes(p), byte, PG);
	KT_EXPECT(set_page_dirty(p));
	KT_EXPECT(!set_page_dirty(p));		/* already dirty */
	put_page(&upmm, p);
}

static void t_writeback_and_errors(void)
{
	u32 seen_a, seen_b;

	setup(&fake_aops);
	seen_a = seen_b = filemap_sample_wb_err(&mapping);
	dirty_page(2, 0xd2);
	dirty_page(9, 0xd9);
	dirty_page(50, 0xe0);
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 3);
	KT_EXPECT(xa_marked(&mapping.i_pages, PAGECACHE_TAG_DIRTY));
	/* only the range asked for */
	KT_EXPECT_EQ(filemap_write_and_wait_range(&mapping, 0, 10 * PG - 1), 0);
	KT_EXPECT_EQ(writes, 2);
	KT_EXPECT(disk[2 * PG] == 0xd2 && disk[9 * PG + PG - 1] == 0xd9);
	KT_EXPECT(disk[50 * PG] != 0xe0);
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 1);
	KT_EXPECT_EQ(page_cache_stats.nr_writeback, 0);
	KT_EXPECT_EQ(page_cache_stats.pgpgout, 2);
	/* a clean page is not written again */
	KT_EXPECT_EQ(filemap_write_and_wait_range(&mapping, 0, -1), 0);
	KT_EXPECT_EQ(writes, 3);
	KT_EXPECT(disk[50 * PG] == 0xe0);
	KT_EXPECT(!xa_marked(&mapping.i_pages, PAGECACHE_TAG_DIRTY));
	KT_EXPECT(!xa_marked(&mapping.i_pages, PAGECACHE_TAG_WRITEBACK));
	KT_EXPECT_EQ(filemap_check_wb_err(&mapping, &seen_a), 0);
	/* a failed write: the pass says so, and each opener's next check once */
	bad_page[9] = true;
	dirty_page(9, 0x99);
	KT_EXPECT_EQ(filemap_write_and_wait_range(&mapping, 0, -1), -EIO);
	KT_EXPECT(disk[9 * PG] == 0xd9);			/* nothing reached the disk */
	KT_EXPECT_EQ(filemap_check_wb_err(&mapping, &seen_a), -EIO);
	KT_EXPECT_EQ(filemap_check_wb_err(&mapping, &seen_a), 0);	/* once */
	KT_EXPECT_EQ(filemap_check_wb_err(&mapping, &seen_b), -EIO);	/* per opener */
	/* an error seen by a check already is old news to a file opened after it */
	seen_a = filemap_sample_wb_err(&mapping);
	KT_EXPECT_EQ(filemap_check_wb_err(&mapping, &seen_a), 0);
	/* one nobody was told of is heard by the next opener, once */
	dirty_page(9, 0x98);
	KT_EXPECT_EQ(filemap_fdatawrite_range(&mapping, 0, -1, WB_SYNC_NONE), -EIO);
	seen_a = filemap_sample_wb_err(&mapping);
	KT_EXPECT_EQ(filemap_check_wb_err(&mapping, &seen_a), -EIO);
	KT_EXPECT_EQ(filemap_check_wb_err(&mapping, &seen_a), 0);
	seen_b = filemap_sample_wb_err(&mapping);		/* seen now: not for a later opener */
	KT_EXPECT_EQ(filemap_check_wb_err(&mapping, &seen_b), 0);
	bad_page[9] = false;
	teardown();
}

static void t_truncate_partial_and_whole(void)
{
	struct page *p;

	setup(&fake_aops);
	for (pgoff_t i = 0; i < 8; i++) {
		p = read_mapping_page(&mapping, i, &file);
		KT_ASSERT(!IS_ERR(p));
		put_page(&upmm, p);
	}
	dirty_page(4, 0x44);
	/* [1.5 pages, 4.25 pages): page 1 keeps its head, 2 and 3 go, 4 keeps its tail */
	truncate_inode_pages_range(&mapping, PG + PG / 2, 4 * PG + PG / 4 - 1);
	KT_EXPECT_EQ(mapping.nrpages, 6);
	KT_EXPECT(find_get_page(&mapping, 2) == NULL && find_get_page(&mapping, 3) == NULL);
	p = find_get_page(&mapping, 1);
	KT_ASSERT(p);
	KT_EXPECT(memcmp(page_bytes(p), disk + PG, PG / 2) == 0);
	KT_EXPECT(page_bytes(p)[PG / 2] == 0 && page_bytes(p)[PG - 1] == 0);
	put_page(&upmm, p);
	p = find_get_page(&mapping, 4);
	KT_ASSERT(p);
	KT_EXPECT(page_bytes(p)[0] == 0 && page_bytes(p)[PG / 4 - 1] == 0);
	KT_EXPECT(page_bytes(p)[PG / 4] == 0x44);
	put_page(&upmm, p);
	/* inside one page: only the bytes */
	truncate_inode_pages_range(&mapping, 6 * PG + 10, 6 * PG + 19);
	p = find_get_page(&mapping, 6);
	KT_ASSERT(p);
	KT_EXPECT(page_bytes(p)[9] == disk[6 * PG + 9] && page_bytes(p)[10] == 0 &&
		  page_bytes(p)[19] == 0 && page_bytes(p)[20] == disk[6 * PG + 20]);
	put_page(&upmm, p);
	/* a dirty page truncated away is simply dropped: its count goes with it */
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 1);
	truncate_inode_pages(&mapping, 4 * PG);
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 0);
	KT_EXPECT_EQ(mapping.nrpages, 2);
	teardown();
}

/* ---- the file fault path: a file mapped into an address space ---- */

#define AREA		0x10000000UL
#define F_READ		FAULT_FLAG_USER
#define F_WRITE		(FAULT_FLAG_USER | FAULT_FLAG_WRITE)

static const struct file_operations fake_fops = { .mmap = generic_file_mmap, .seekable = true };
static struct mm_struct *mm;

/* The file opened with @acc (O_RDONLY / O_RDWR), and an empty address space. */
static void setup_mapped(unsigned int acc)
{
	setup(&fake_aops);
	file.refs = 1;
	file.flags = acc;
	file.ops = &fake_fops;
	file.inode = &inode;
	mm = mm_create(&upmm, NULL, mm_default_task_size());
	KT_ASSERT(mm);
}

static void teardown_mapped(void)
{
	mm_put(mm);
	mm = NULL;
	KT_EXPECT_EQ(file.refs, 1);		/* every vma let go of the file */
	KT_EXPECT(list_empty(&mapping.i_mmap));
	teardown();
}

static long map_file(uintptr_t addr, size_t pages, int prot, int type, pgoff_t pgoff)
{
	return mm_mmap(mm, addr, pages * PG, prot, type | MAP_FIXED, &file, pgoff);
}

static vm_fault_t fault(uintptr_t addr, unsigned int flags, int *si)
{
	int dummy;

	return do_user_addr_fault(mm, addr, flags, si ? si : &dummy);
}

static pte_t pte_at(uintptr_t addr)
{
	pte_t *p = pt_lookup_pte(&mm->pt, addr);

	return p ? *p : (pte_t){ 0 };
}

static struct page *page_at(uintptr_t addr)
{
	return pmm_pfn_to_page(&upmm, pte_pfn(pte_at(addr)));
}

static struct page *cached(pgoff_t index)
{
	struct page *p = find_get_page(&mapping, index);

	if (p)
		put_page(&upmm, p);	/* the cache still holds it */
	return p;
}

/*
 * A cold read fault reads around the page (one major fault); the next
 * fault nearby is minor and maps its neighbours too (fault-around), all
 * read-only and shared with the cache.
 */
static void t_read_fault_readaround_and_fault_around(void)
{
	setup_mapped(O_RDONLY);
	KT_EXPECT_EQ(map_file(AREA, 32, PROT_READ, MAP_SHARED, 0), AREA);
	KT_EXPECT_EQ(file.refs, 2);
	KT_EXPECT_EQ(fault(AREA + 20 * PG, F_READ, NULL), VM_FAULT_MAJOR);
	KT_EXPECT_EQ(mm->faults.major, 1);
	KT_EXPECT_EQ(page_cache_stats.pgmajfault, 1);
	KT_EXPECT(page_at(AREA + 20 * PG) == cached(20));
	KT_EXPECT(page_is_disk(page_at(AREA + 20 * PG), 20));
	KT_EXPECT(!pte_write(pte_at(AREA + 20 * PG)));
	/* read around: 32 pages centred on 20, i.e. 4..35 */
	KT_EXPECT(cached(4) && cached(35) && !cached(3) && !cached(36));
	KT_EXPECT_EQ(reads, 32);
	/* only the faulting page is mapped so far */
	KT_EXPECT(pte_none(pte_at(AREA + 17 * PG)));
	/*
	 * A fault at 17: minor, and fault-around maps 16..31 (16 pages,
	 * aligned), all but page 28: the readahead marker (32 - 8 from the
	 * window's start) is left for a fault, which starts the next window.
	 */
	KT_EXPECT(page_test_flag(cached(28), PG_readahead));
	KT_EXPECT_EQ(fault(AREA + 17 * PG, F_READ, NULL), 0);
	KT_EXPECT_EQ(mm->faults.major, 1);
	for (pgoff_t i = 16; i < 32; i++) {
		if (i == 28) {
			KT_EXPECT(pte_none(pte_at(AREA + i * PG)));
			continue;
		}
		KT_EXPECT(page_at(AREA + i * PG) == cached(i));
		KT_EXPECT(!pte_write(pte_at(AREA + i * PG)));
	}
	KT_EXPECT(pte_none(pte_at(AREA + 15 * PG)));
	KT_EXPECT_EQ(cached(18)->mapcount, 1);
	KT_EXPECT_EQ(cached(18)->refcount, 2);		/* cache + pte */
	KT_EXPECT_EQ(mm->rss_shared, 15);
	KT_EXPECT_EQ(reads, 32);			/* nothing read twice */
	/* the marker: a minor fault that reads the next window, 36..67, ahead */
	KT_EXPECT_EQ(fault(AREA + 28 * PG, F_READ, NULL), 0);
	KT_EXPECT(!page_test_flag(cached(28), PG_readahead));
	KT_EXPECT_EQ(reads, 64);
	KT_EXPECT(cached(36) && cached(67) && !cached(68));
	KT_EXPECT_EQ(mm->faults.major, 1);
	teardown_mapped();
}

/* A private write copies the file's page; the file and its cache stay as they were. */
static void t_private_write_copies(void)
{
	struct page *copy;

	setup_mapped(O_RDONLY);
	KT_EXPECT_EQ(map_file(AREA, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE, 8), AREA);
	KT_EXPECT_EQ(fault(AREA + PG, F_READ, NULL), VM_FAULT_MAJOR);
	KT_EXPECT(page_at(AREA + PG) == cached(9));
	KT_EXPECT_EQ(fault(AREA + PG, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	copy = page_at(AREA + PG);
	KT_EXPECT(copy != cached(9) && page_test_flag(copy, PG_anon));
	KT_EXPECT(page_is_disk(copy, 9) && pte_write(pte_at(AREA + PG)));
	page_bytes(copy)[0] ^= 0xff;
	KT_EXPECT(page_is_disk(cached(9), 9));
	KT_EXPECT_EQ(cached(9)->mapcount, 0);
	/* a write to an untouched page: do_cow_fault, never the cache's page */
	KT_EXPECT_EQ(fault(AREA + 2 * PG, F_WRITE, NULL), 0);
	KT_EXPECT(page_test_flag(page_at(AREA + 2 * PG), PG_anon));
	KT_EXPECT(page_is_disk(page_at(AREA + 2 * PG), 10));
	KT_EXPECT(!page_test_flag(cached(10), PG_dirty));
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 0);
	teardown_mapped();
}

/*
 * A shared write dirties the cache's page in place; writeback writes it
 * and write-protects the pte, so the next store faults and dirties again.
 */
static void t_shared_write_dirty_writeback_redirty(void)
{
	uintptr_t a = AREA + 3 * PG;

	setup_mapped(O_RDWR);
	KT_EXPECT_EQ(map_file(AREA, 8, PROT_READ | PROT_WRITE, MAP_SHARED, 0), AREA);
	KT_EXPECT(vma_wants_writenotify(vma_lookup(mm, AREA)));
	KT_EXPECT_EQ(fault(a, F_WRITE, NULL), VM_FAULT_MAJOR);
	KT_EXPECT(page_at(a) == cached(3) && pte_write(pte_at(a)));
	KT_EXPECT(page_test_flag(cached(3), PG_dirty));
	KT_EXPECT(xa_get_mark(&mapping.i_pages, 3, PAGECACHE_TAG_DIRTY));
	memset(page_bytes(cached(3)), 0x33, PG);	/* the store */
	set_pte(pt_lookup_pte(&mm->pt, a), pte_mkdirty(pte_at(a)));
	KT_EXPECT_EQ(filemap_write_and_wait_range(&mapping, 0, -1), 0);
	KT_EXPECT(disk[3 * PG] == 0x33 && disk[4 * PG - 1] == 0x33);
	KT_EXPECT(!page_test_flag(cached(3), PG_dirty));
	KT_EXPECT(!pte_write(pte_at(a)) && !pte_dirty(pte_at(a)));	/* page_mkclean */
	/* the next store: write-protect fault, page_mkwrite, dirty again */
	KT_EXPECT_EQ(fault(a, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	KT_EXPECT(pte_write(pte_at(a)) && page_test_flag(cached(3), PG_dirty));
	KT_EXPECT_EQ(page_at(a), cached(3));
	/* a read fault on a shared writable file mapping maps read-only (write notify) */
	KT_EXPECT_EQ(fault(AREA + 6 * PG, F_READ, NULL), 0);
	KT_EXPECT(!pte_write(pte_at(AREA + 6 * PG)));
	KT_EXPECT(!page_test_flag(cached(6), PG_dirty));
	/* a store only the pte recorded is not lost at munmap */
	KT_EXPECT_EQ(fault(AREA + 7 * PG, F_WRITE, NULL), 0);
	KT_EXPECT_EQ(filemap_write_and_wait_range(&mapping, 0, -1), 0);
	KT_EXPECT(!page_test_flag(cached(7), PG_dirty));
	KT_EXPECT_EQ(fault(AREA + 7 * PG, F_WRITE | FAULT_FLAG_PROTECTION, NULL), 0);
	memset(page_bytes(cached(7)), 0x77, PG);
	/* and page 6, clean, stored to through a pte only the CPU marked dirty */
	set_pte(pt_lookup_pte(&mm->pt, AREA + 6 * PG), pte_mkdirty(pte_mkwrite(pte_at(AREA + 6 * PG))));
	memset(page_bytes(cached(6)), 0x66, PG);
	KT_EXPECT_EQ(mm_munmap(mm, AREA, 8 * PG), 0);
	KT_EXPECT(page_test_flag(cached(7), PG_dirty));
	KT_EXPECT(page_test_flag(cached(6), PG_dirty));
	KT_EXPECT(xa_get_mark(&mapping.i_pages, 6, PAGECACHE_TAG_DIRTY));	/* writeback will find it */
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 2);
	KT_EXPECT_EQ(filemap_write_and_wait_range(&mapping, 0, -1), 0);
	KT_EXPECT(disk[7 * PG] == 0x77 && disk[6 * PG] == 0x66);
	teardown_mapped();
}

/* Truncation unmaps what lies past the new end (private copies too): SIGBUS there. */
static void t_truncate_under_mapping_is_sigbus(void)
{
	int si = 0;

	setup_mapped(O_RDWR);
	KT_EXPECT_EQ(map_file(AREA, 8, PROT_READ | PROT_WRITE, MAP_SHARED, 0), AREA);
	KT_EXPECT_EQ(map_file(AREA + 16 * PG, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0),
		     AREA + 16 * PG);
	KT_EXPECT_EQ(file.refs, 3);
	KT_EXPECT_EQ(fault(AREA, F_READ, NULL), VM_FAULT_MAJOR);	/* reads 0..15 around */
	for (pgoff_t i = 0; i < 8; i++) {
		KT_EXPECT_EQ(fault(AREA + i * PG, F_READ, NULL), 0);	/* fault-around mapped 1..7 */
		KT_EXPECT_EQ(fault(AREA + 16 * PG + i * PG, F_WRITE, NULL), 0);
	}
	inode.i_size = 3 * PG + 100;
	truncate_pagecache(&inode, inode.i_size);
	/* the page the end falls in stays, its tail zeroed; the rest is gone */
	KT_EXPECT(!pte_none(pte_at(AREA + 3 * PG)));
	KT_EXPECT(page_bytes(cached(3))[99] == disk[3 * PG + 99] && page_bytes(cached(3))[100] == 0);
	KT_EXPECT(pte_none(pte_at(AREA + 4 * PG)) && pte_none(pte_at(AREA + 16 * PG + 4 * PG)));
	KT_EXPECT(!cached(4) && !cached(7));
	KT_EXPECT_EQ(fault(AREA + 5 * PG, F_READ, &si), VM_FAULT_SIGBUS);
	KT_EXPECT_EQ(si, BUS_ADRERR);
	KT_EXPECT_EQ(fault(AREA + 16 * PG + 5 * PG, F_WRITE, &si), VM_FAULT_SIGBUS);
	KT_EXPECT_EQ(fault(AREA + 2 * PG, F_READ, NULL), 0);
	KT_EXPECT_EQ(mm->rss_shared, 4);
	KT_EXPECT_EQ(mm->rss_anon, 4);
	teardown_mapped();
}

/* Splitting a file vma gives each part its file reference and a place on i_mmap. */
static void t_file_vmas_reference_and_reverse_map(void)
{
	struct vm_area_struct *v;
	unsigned int n = 0;

	setup_mapped(O_RDWR);
	KT_EXPECT_EQ(map_file(AREA, 8, PROT_READ, MAP_SHARED, 4), AREA);
	KT_EXPECT_EQ(mm_mprotect(mm, AREA + 2 * PG, 2 * PG, PROT_READ | PROT_WRITE), 0);
	KT_EXPECT_EQ(file.refs, 4);
	list_for_each_entry(v, &mapping.i_mmap, shared)
		n++;
	KT_EXPECT_EQ(n, 3);
	KT_EXPECT_EQ(vma_lookup(mm, AREA + 2 * PG)->vm_pgoff, 6);
	/* mremap moves a part: still one reference and one i_mmap place per vma */
	KT_EXPECT_EQ(mm_mremap(mm, AREA + 4 * PG, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
			       AREA + 64 * PG), AREA + 64 * PG);
	KT_EXPECT_EQ(vma_lookup(mm, AREA + 64 * PG)->vm_pgoff, 8);
	KT_EXPECT_EQ(file.refs, 4);
	KT_EXPECT_EQ(fault(AREA + 64 * PG, F_READ, NULL), VM_FAULT_MAJOR);
	KT_EXPECT(page_is_disk(page_at(AREA + 64 * PG), 8));
	/* a shared writable mapping of a read-only file is refused; a shared read-only one can never become writable */
	file.flags = O_RDONLY;
	KT_EXPECT_EQ(map_file(AREA + 128 * PG, 1, PROT_READ | PROT_WRITE, MAP_SHARED, 0), -EACCES);
	KT_EXPECT_EQ(map_file(AREA + 128 * PG, 1, PROT_READ, MAP_SHARED, 0), AREA + 128 * PG);
	KT_EXPECT_EQ(mm_mprotect(mm, AREA + 128 * PG, PG, PROT_READ | PROT_WRITE), -EACCES);
	KT_EXPECT_EQ(map_file(AREA + 130 * PG, 1, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, 0), -EOPNOTSUPP);
	file.flags = O_WRONLY;
	KT_EXPECT_EQ(map_file(AREA + 132 * PG, 1, PROT_READ, MAP_PRIVATE, 0), -EACCES);
	file.flags = O_RDWR;
	teardown_mapped();
}

/* A read error is SIGBUS; a mapping past the end of the file is SIGBUS there. */
static void t_read_error_and_past_eof_are_sigbus(void)
{
	int si = 0;

	setup_mapped(O_RDONLY);
	bad_page[40] = true;
	KT_EXPECT_EQ(map_file(AREA, 8, PROT_READ, MAP_PRIVATE, 40), AREA);
	KT_EXPECT_EQ(fault(AREA, F_READ, &si), VM_FAULT_SIGBUS);
	KT_EXPECT_EQ(si, BUS_ADRERR);
	KT_EXPECT(pte_none(pte_at(AREA)));
	KT_EXPECT_EQ(fault(AREA + PG, F_READ, NULL), 0);	/* its neighbour was read around it */
	bad_page[40] = false;
	KT_EXPECT_EQ(map_file(AREA + 16 * PG, 4, PROT_READ, MAP_PRIVATE, FILE_PAGES - 2),
		     AREA + 16 * PG);
	KT_EXPECT_EQ(fault(AREA + 17 * PG, F_READ, NULL), VM_FAULT_MAJOR);
	KT_EXPECT_EQ(fault(AREA + 18 * PG, F_READ, &si), VM_FAULT_SIGBUS);
	KT_EXPECT_EQ(si, BUS_ADRERR);
	teardown_mapped();
}

/*
 * A page being read: the fault drops mmap_lock, waits, and retries once
 * (VM_FAULT_RETRY), then maps it.
 */
static void t_fault_waits_for_io_without_mmap_lock(void)
{
	unsigned long waits;

	setup_mapped(O_RDONLY);
	async_reads = true;
	KT_EXPECT_EQ(map_file(AREA, 4, PROT_READ, MAP_SHARED, 0), AREA);
	waits = fake_page_waits;
	/* the retry finds it in the cache, and counts as major (Linux's mm_account_fault) */
	KT_EXPECT_EQ(fault(AREA + PG, F_READ, NULL), VM_FAULT_MAJOR);
	KT_EXPECT_EQ(mm->faults.major, 1);
	KT_EXPECT_EQ(mm->faults.minor, 0);
	KT_EXPECT(fake_page_waits > waits);
	KT_EXPECT(page_at(AREA + PG) == cached(1) && PageUptodate(cached(1)));
	KT_EXPECT(page_is_disk(page_at(AREA + PG), 1));
	KT_EXPECT_EQ(mm->mmap_lock.count, 0);		/* released on every path */
	teardown_mapped();
}

/* ---- msync, mincore, MADV_WILLNEED ---- */

/*
 * MS_SYNC writes the shared mapping's dirty pages of the range and waits,
 * and reports a write error once for the file; private mappings and
 * MS_ASYNC write nothing; the argument errors are Linux's.
 */
static void t_msync(void)
{
	setup_mapped(O_RDWR);
	KT_EXPECT_EQ(map_file(AREA, 8, PROT_READ | PROT_WRITE, MAP_SHARED, 0), AREA);
	KT_EXPECT_EQ(map_file(AREA + 16 * PG, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, 8), AREA + 16 * PG);
	file.f_wb_err = filemap_sample_wb_err(&mapping);
	for (pgoff_t i = 0; i < 4; i++)
		KT_EXPECT(!(fault(AREA + i * PG, F_WRITE, NULL) & VM_FAULT_ERROR));
	memset(page_bytes(cached(1)), 0x11, PG);
	memset(page_bytes(cached(3)), 0x13, PG);
	KT_EXPECT_EQ(mm_msync(mm, AREA, 2 * PG, MS_ASYNC), 0);
	KT_EXPECT_EQ(writes, 0);
	KT_EXPECT_EQ(mm_msync(mm, AREA, 2 * PG, MS_SYNC), 0);	/* pages 0 and 1 only */
	KT_EXPECT_EQ(writes, 2);
	KT_EXPECT(disk[PG] == 0x11 && disk[3 * PG] != 0x13);
	KT_EXPECT(!pte_write(pte_at(AREA + PG)));		/* cleaned for the next store */
	KT_EXPECT_EQ(mm_msync(mm, AREA + 16 * PG, 8 * PG, MS_SYNC), 0);	/* private: nothing */
	KT_EXPECT_EQ(writes, 2);
	bad_page[3] = true;
	KT_EXPECT_EQ(mm_msync(mm, AREA, 8 * PG, MS_SYNC), -EIO);
	bad_page[3] = false;
	KT_EXPECT_EQ(mm_msync(mm, AREA, 8 * PG, MS_SYNC), 0);	/* reported once */
	/* the arguments */
	KT_EXPECT_EQ(mm_msync(mm, AREA + 1, PG, MS_SYNC), -EINVAL);
	KT_EXPECT_EQ(mm_msync(mm, AREA, PG, MS_SYNC | MS_ASYNC), -EINVAL);
	KT_EXPECT_EQ(mm_msync(mm, AREA, PG, 8), -EINVAL);
	KT_EXPECT_EQ(mm_msync(mm, AREA, 24 * PG, MS_SYNC), -ENOMEM);	/* the hole between */
	KT_EXPECT_EQ(mm_msync(mm, AREA, 0, MS_SYNC), 0);
	teardown_mapped();
}

/* mincore: mapped pages and cached file pages are resident; untouched anonymous ones are not. */
static void t_mincore_and_willneed(void)
{
	u8 vec[8];

	setup_mapped(O_RDONLY);
	KT_EXPECT_EQ(map_file(AREA, 8, PROT_READ, MAP_PRIVATE, 64), AREA);
	KT_EXPECT_EQ(mm_mmap(mm, AREA + 16 * PG, 4 * PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), AREA + 16 * PG);
	KT_EXPECT_EQ(mm_mincore(mm, AREA, 8, vec), 0);
	KT_EXPECT(!vec[0] && !vec[7]);
	/* MADV_WILLNEED reads the range ahead, mapping nothing */
	KT_EXPECT_EQ(mm_madvise(mm, AREA + 2 * PG, 4 * PG, MADV_WILLNEED), 0);
	KT_EXPECT(cached(66) && cached(69) && !cached(70));
	KT_EXPECT(pte_none(pte_at(AREA + 2 * PG)));
	KT_EXPECT_EQ(mm_mincore(mm, AREA, 8, vec), 0);
	KT_EXPECT(!vec[1] && vec[2] && vec[5] && !vec[6]);
	KT_EXPECT(!(fault(AREA + 16 * PG + PG, F_WRITE, NULL) & VM_FAULT_ERROR));
	KT_EXPECT_EQ(mm_mincore(mm, AREA + 16 * PG, 4, vec), 0);
	KT_EXPECT(!vec[0] && vec[1] && !vec[2]);
	KT_EXPECT_EQ(mm_mincore(mm, AREA + 1, 1, vec), -EINVAL);
	KT_EXPECT_EQ(mm_mincore(mm, AREA, 16, vec), -ENOMEM);
	teardown_mapped();
}

/* ---- the memory audit over file pages ---- */

static unsigned int audit_lines;

static void count_line(const char *line, void *ctx)
{
	audit_lines++;
}

/*
 * With a file mapped shared and private (some pages copied), in two mms,
 * the audit is clean; a page whose index disagrees with where it is
 * mapped, or a vma off the reverse map, is reported.
 */
static void t_audit_of_file_pages(void)
{
	struct mm_struct *child, *mms[2];
	struct audit_report rep;
	struct vm_area_struct *v;
	struct page *p4;

	setup_mapped(O_RDWR);
	KT_EXPECT_EQ(map_file(AREA, 8, PROT_READ | PROT_WRITE, MAP_SHARED, 0), AREA);
	KT_EXPECT_EQ(map_file(AREA + 16 * PG, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0), AREA + 16 * PG);
	for (pgoff_t i = 0; i < 8; i++) {
		KT_EXPECT(!(fault(AREA + i * PG, i & 1 ? F_WRITE : F_READ, NULL) & VM_FAULT_ERROR));
		KT_EXPECT(!(fault(AREA + (16 + i) * PG, i & 2 ? F_WRITE : F_READ, NULL) & VM_FAULT_ERROR));
	}
	child = dup_mm(mm);
	KT_ASSERT(child);
	mms[0] = mm;
	mms[1] = child;
	audit_lines = 0;
	KT_EXPECT_EQ(mm_audit(mms, NULL, 2, &upmm, &rep, count_line, NULL), 0);
	KT_EXPECT_EQ(audit_lines, 0);
	KT_EXPECT(rep.ptes >= 32);
	/* a file page claiming another offset */
	p4 = cached(4);
	p4->index = 5;
	KT_EXPECT_EQ(mm_audit(mms, NULL, 2, &upmm, &rep, count_line, NULL), -EINVAL);
	KT_EXPECT(audit_lines > 0);
	p4->index = 4;
	/* a vma off the reverse map */
	v = vma_lookup(child, AREA);
	vma_unlink_file(v);
	audit_lines = 0;
	KT_EXPECT_EQ(mm_audit(mms, NULL, 2, &upmm, &rep, count_line, NULL), -EINVAL);
	KT_EXPECT(audit_lines > 0);
	vma_link_file(v);
	KT_EXPECT_EQ(mm_audit(mms, NULL, 2, &upmm, &rep, count_line, NULL), 0);
	mm_put(child);
	teardown_mapped();
}

/* ---- reclaim ---- */

/* Take all but @keep free pages of upmm; give them back with unhoard(). */
static struct page *hoard[USER_PAGES];
static unsigned int nr_hoard;

static void hoard_all_but(unsigned long keep)
{
	struct page *p;

	nr_hoard = 0;
	while (pmm_nr_free(&upmm) > keep && (p = pmm_alloc_pages(&upmm, 0, 0)))
		hoard[nr_hoard++] = p;
}

static void unhoard(void)
{
	while (nr_hoard)
		pmm_free_pages(&upmm, hoard[--nr_hoard], 0);
}

/*
 * With 40 pages free (under the 64-page watermark), reading the whole
 * 96-page file one page at a time works: each allocation drops the least
 * recently used clean pages. A dirty page is never dropped.
 */
static void t_reclaim_reads_a_file_larger_than_memory(void)
{
	struct page *p;

	setup(&fake_aops_no_ra);
	pmm_enable_reclaim(&upmm);
	memset(&reclaim_stats, 0, sizeof(reclaim_stats));
	dirty_page(0, 0xaa);
	hoard_all_but(40);
	for (pgoff_t i = 0; i < FILE_PAGES; i++) {
		p = read_mapping_page(&mapping, i, &file);
		KT_ASSERT(!IS_ERR(p));
		KT_EXPECT(i == 0 || page_is_disk(p, i));
		put_page(&upmm, p);
	}
	KT_EXPECT_EQ(reads, FILE_PAGES);
	KT_EXPECT(reclaim_stats.freed > 0);
	KT_EXPECT(mapping.nrpages < FILE_PAGES);
	KT_EXPECT_EQ(mapping.nrpages, upmm.lru.nr_inactive + upmm.lru.nr_active);
	p = find_get_page(&mapping, 0);		/* the dirty page stayed, with its data */
	KT_ASSERT(p);
	KT_EXPECT(page_test_flag(p, PG_dirty) && page_bytes(p)[100] == 0xaa);
	put_page(&upmm, p);
	KT_EXPECT(!find_get_page(&mapping, 1));	/* the oldest clean ones went */
	unhoard();
	KT_EXPECT_EQ(filemap_write_and_wait_range(&mapping, 0, -1), 0);
	teardown();
}

/*
 * Mapped clean pages are unmapped through the reverse map and dropped
 * once they are not used; a page whose pte was used stays a round longer;
 * faulting again reads it back.
 */
static void t_reclaim_unmaps_mapped_pages(void)
{
	unsigned int before;

	setup_mapped(O_RDONLY);
	pmm_enable_reclaim(&upmm);
	KT_EXPECT_EQ(map_file(AREA, 16, PROT_READ, MAP_SHARED, 0), AREA);
	for (pgoff_t i = 0; i < 16; i++)
		KT_EXPECT(!(fault(AREA + i * PG, F_READ, NULL) & VM_FAULT_ERROR));
	KT_EXPECT_EQ(mm->rss_shared, 16);
	KT_EXPECT_EQ(mapping.nrpages, 32);		/* read around: 0..31 */
	/*
	 * Page 0 was faulted in (referenced); 1..15 were mapped by
	 * fault-around (not yet used); page 5's pte says the CPU used it.
	 * One pass keeps the two used pages (activated) and drops the rest,
	 * mapped or not; later passes, with nothing used meanwhile, drop
	 * them too.
	 */
	set_pte(pt_lookup_pte(&mm->pt, AREA + 5 * PG), pte_mkyoung(pte_at(AREA + 5 * PG)));
	KT_EXPECT_EQ(shrink_page_cache(&upmm, 1000, GFP_KERNEL), 30);
	KT_EXPECT(!pte_none(pte_at(AREA)) && !pte_none(pte_at(AREA + 5 * PG)));
	KT_EXPECT(cached(0) && cached(5) && page_test_flag(cached(5), PG_active));
	KT_EXPECT(pte_none(pte_at(AREA + 4 * PG)) && !cached(4) && !cached(20));
	KT_EXPECT_EQ(mm->rss_shared, 2);
	KT_EXPECT_EQ(mapping.nrpages, 2);
	/* the active list refills the inactive one half at a time: two more calls */
	KT_EXPECT_EQ(shrink_page_cache(&upmm, 1000, GFP_KERNEL), 1);
	KT_EXPECT_EQ(shrink_page_cache(&upmm, 1000, GFP_KERNEL), 1);
	KT_EXPECT_EQ(mm->rss_shared, 0);
	KT_EXPECT_EQ(mapping.nrpages, 0);
	before = reads;
	KT_EXPECT(!(fault(AREA + 4 * PG, F_READ, NULL) & VM_FAULT_ERROR));
	KT_EXPECT(reads > before && page_is_disk(page_at(AREA + 4 * PG), 4));
	/* without a sleeping allocation's permission, nothing is reclaimed */
	KT_EXPECT_EQ(shrink_page_cache(&upmm, 1000, GFP_NOWAIT), 0);
	teardown_mapped();
}

/* ---- writeback policy ---- */

#define SEC	1000000000ull

/*
 * A mapping is written once its first dirtying is 30 s old (or when every
 * dirty mapping is asked for), and leaves the dirty list when clean; sync
 * writes and waits for everything.
 */
static void t_writeback_after_expiry_and_sync(void)
{
	setup(&fake_aops);
	fake_now_ns = 1000 * SEC;
	dirty_page(2, 0x22);
	KT_EXPECT(!list_empty(&mapping.dirty_link));
	KT_EXPECT_EQ(mapping.dirtied_when, 1000 * SEC);
	fake_now_ns = 1010 * SEC;
	dirty_page(3, 0x33);			/* the first dirtying is what counts */
	KT_EXPECT_EQ(writeback_expired(1029 * SEC, false), 0);
	KT_EXPECT_EQ(writes, 0);
	KT_EXPECT_EQ(writeback_expired(1030 * SEC, false), 1);
	KT_EXPECT_EQ(writes, 2);
	KT_EXPECT(disk[2 * PG] == 0x22 && disk[3 * PG] == 0x33);
	KT_EXPECT(list_empty(&mapping.dirty_link));
	/* asked for everything: written however young */
	fake_now_ns = 2000 * SEC;
	dirty_page(4, 0x44);
	KT_EXPECT_EQ(writeback_expired(2000 * SEC, true), 1);
	KT_EXPECT(disk[4 * PG] == 0x44);
	/* sync */
	dirty_page(5, 0x55);
	dirty_page(6, 0x66);
	KT_EXPECT_EQ(sync_all_mappings(), 0);
	KT_EXPECT(disk[5 * PG] == 0x55 && disk[6 * PG] == 0x66);
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 0);
	KT_EXPECT_EQ(page_cache_stats.nr_writeback, 0);
	KT_EXPECT(list_empty(&mapping.dirty_link));
	/* a failed write: sync says so */
	dirty_page(7, 0x77);
	bad_page[7] = true;
	KT_EXPECT_EQ(sync_all_mappings(), -EIO);
	bad_page[7] = false;
	teardown();
}

/*
 * Below the limits a store only dirties; past the background limit the
 * flusher is woken; past the dirty limit the storing task writes the
 * mapping's pages itself, from the fault (balance_dirty_pages).
 */
static void t_dirty_throttle(void)
{
	struct writeback_tunables saved = wb_tunables;
	unsigned long wakeups;

	setup_mapped(O_RDWR);
	KT_EXPECT_EQ(map_file(AREA, 8, PROT_READ | PROT_WRITE, MAP_SHARED, 0), AREA);
	KT_EXPECT(dirty_threshold(&upmm) > 16);
	wakeups = fake_flusher_wakeups;
	KT_EXPECT(!(fault(AREA, F_WRITE, NULL) & VM_FAULT_ERROR));
	KT_EXPECT_EQ(writes, 0);
	KT_EXPECT_EQ(fake_flusher_wakeups, wakeups);
	KT_EXPECT_EQ(page_cache_stats.throttled, 0);
	wb_tunables.dirty_background_ratio = 0;
	KT_EXPECT(!(fault(AREA + PG, F_WRITE, NULL) & VM_FAULT_ERROR));
	KT_EXPECT(fake_flusher_wakeups > wakeups);
	KT_EXPECT_EQ(writes, 0);
	wb_tunables.dirty_ratio = 0;
	KT_EXPECT(!(fault(AREA + 2 * PG, F_WRITE, NULL) & VM_FAULT_ERROR));
	KT_EXPECT_EQ(page_cache_stats.throttled, 1);
	KT_EXPECT_EQ(writes, 3);			/* the writer wrote all three */
	KT_EXPECT_EQ(page_cache_stats.nr_dirty, 0);
	KT_EXPECT(!pte_write(pte_at(AREA + 2 * PG)));	/* cleaned: the next store faults */
	wb_tunables = saved;
	teardown_mapped();
}

static const struct kt_case cases[] = {
	KT_CASE(t_get_create_lock_delete, "pages are created locked, found, locked, and deleted with their references"),
	KT_CASE(t_read_mapping_page, "read_mapping_page reads once, waits for asynchronous reads, reports -EIO and retries"),
	KT_CASE(t_readahead_windows_grow, "a sequential reader gets windows of 4, 8, 16, 32, 32 pages, each from the previous marker"),
	KT_CASE(t_readahead_random_and_eof, "a random read reads what it asked; the end of the file bounds a window"),
	KT_CASE(t_writeback_and_errors, "writeback writes dirty pages of the range once; an error is reported once per opener"),
	KT_CASE(t_truncate_partial_and_whole, "truncate zeroes partial pages and deletes whole ones, dirty or not"),
	KT_CASE(t_read_fault_readaround_and_fault_around, "a cold fault reads around (major); the next maps 16 cached pages around it"),
	KT_CASE(t_private_write_copies, "a private write copies the file's page; the cache stays clean"),
	KT_CASE(t_shared_write_dirty_writeback_redirty, "a shared write dirties the page; writeback cleans and write-protects it; the next store redirties"),
	KT_CASE(t_truncate_under_mapping_is_sigbus, "truncate unmaps shared and private pages past the end: SIGBUS there"),
	KT_CASE(t_file_vmas_reference_and_reverse_map, "split and moved file vmas keep their file references and reverse map; mmap's access checks"),
	KT_CASE(t_read_error_and_past_eof_are_sigbus, "a read error and a page past the end of the file are SIGBUS with BUS_ADRERR"),
	KT_CASE(t_fault_waits_for_io_without_mmap_lock, "a fault on a page being read waits without mmap_lock and retries"),
	KT_CASE(t_msync, "msync MS_SYNC writes the shared pages of its range and waits, errors once; Linux's argument errors"),
	KT_CASE(t_mincore_and_willneed, "mincore sees mapped and cached pages; MADV_WILLNEED reads the range ahead"),
	KT_CASE(t_audit_of_file_pages, "the memory audit checks file pages against their cache and the reverse map"),
	KT_CASE(t_reclaim_reads_a_file_larger_than_memory, "with 40 pages free a 96-page file reads through, dropping old clean pages, never a dirty one"),
	KT_CASE(t_reclaim_unmaps_mapped_pages, "reclaim unmaps unused mapped pages through the reverse map; a used one stays"),
	KT_CASE(t_writeback_after_expiry_and_sync, "a mapping is written 30 s after its first dirtying; sync writes and waits, reporting errors"),
	KT_CASE(t_dirty_throttle, "past the background limit the flusher wakes; past the dirty limit the storing task writes"),
};

int main(void)
{
	fake_mm_machine_init(RAM_BASE_PFN, KERNEL_PAGES, USER_PAGES);
	if (xa_init_cache())
		return 1;
	return kt_run_suite("filemap", cases, KT_N(cases));
}
