/*
 * On-demand readahead, in the style of Linux's mm/readahead.c: a read
 * that misses the cache reads a window of pages (synchronous readahead:
 * started now, the reader waits only for its own page); a page
 * PG_readahead-marked inside the window starts the next window when a
 * reader reaches it (asynchronous readahead), so a sequential reader
 * finds its pages read before it asks. Windows start small and grow
 * (x4, then x2) up to ra_pages (128 KiB by default) while the access stays
 * sequential; a random access gets a window sized to its own request.
 * mmap faults read around the faulting page instead (do_sync_mmap_readahead
 * in filemap.c) unless the VMA says MADV_SEQUENTIAL or MADV_RANDOM.
 * Host-compilable.
 */
#include <mm/pagemap.h>
#include <mm/pmm.h>
#include <mm/page_ref.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>

static unsigned int roundup_pow_of_two_u(unsigned int n)
{
	unsigned int p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The first window for a read of @req pages: 4x or 2x the request, at most @max. */
static unsigned int init_ra_size(unsigned int req, unsigned int max)
{
	unsigned int size = roundup_pow_of_two_u(req ? req : 1);

	if (size <= max / 32)
		size *= 4;
	else if (size <= max / 4)
		size *= 2;
	else
		size = max;
	return size < max ? size : max;
}

/* The window after one of @cur pages: 4x while small, then 2x, at most @max. */
static unsigned int next_ra_size(unsigned int cur, unsigned int max)
{
	unsigned int size = cur < max / 16 ? 4 * cur : 2 * cur;

	return size < max ? size : max;
}

/*
 * Start reading the pages of [index, index + nr) that are not cached, as
 * one batch, marking the page at index + nr - @lookahead PG_readahead
 * (none if @lookahead is 0). Pages already cached end a batch; reads past
 * the end of the file are not started. Never waits for the reads.
 */
void page_cache_ra_unbounded(struct address_space *mapping, struct file *file, pgoff_t index,
			     unsigned long nr, unsigned long lookahead)
{
	pgoff_t end_index = (pgoff_t)DIV_ROUND_UP((u64)i_size_read(mapping->host), PAGE_SIZE);
	struct page *pages[VM_READAHEAD_PAGES * 2];
	struct readahead_control rac = { .file = file, .mapping = mapping, .pages = pages };
	pgoff_t mark = lookahead ? index + nr - lookahead : ~0UL;

	if (nr > ARRAY_SIZE(pages))
		nr = ARRAY_SIZE(pages);
	if (index >= end_index)
		return;
	if (nr > end_index - index)
		nr = end_index - index;
	for (pgoff_t i = index; i < index + nr; i++) {
		struct page *page = find_get_page(mapping, i);

		if (page) {			/* cached: submit what was gathered */
			put_page(mapping->pmm, page);
			read_pages(&rac);
			continue;
		}
		page = pagecache_get_page(mapping, i, FGP_LOCK | FGP_CREAT, GFP_KERNEL);
		if (!page)
			break;
		if (PageUptodate(page)) {	/* raced with another reader */
			unlock_page(page);
			put_page(mapping->pmm, page);
			read_pages(&rac);
			continue;
		}
		if (i == mark)
			page_set_flag(page, PG_readahead);
		if (!rac.nr_pages)
			rac.index = i;
		rac.pages[rac.nr_pages++] = page;
	}
	read_pages(&rac);
}

void read_pages(struct readahead_control *rac)
{
	struct address_space *mapping = rac->mapping;

	if (!rac->nr_pages)
		return;
	for (unsigned int i = 0; i < rac->nr_pages; i++)
		page_clear_flag(rac->pages[i], PG_error);
	if (mapping->a_ops->readahead) {
		mapping->a_ops->readahead(rac);
	} else {
		/* a refused read unlocked its page: the reader finds it not uptodate */
		for (unsigned int i = 0; i < rac->nr_pages; i++)
			(void)mapping->a_ops->read_folio(rac->file, rac->pages[i]);
	}
	page_cache_stats.ra_pages += rac->nr_pages;
	for (unsigned int i = 0; i < rac->nr_pages; i++)
		put_page(mapping->pmm, rac->pages[i]);	/* the cache keeps its own */
	rac->nr_pages = 0;
}

/* Read the window @ra describes. */
static void ra_submit(struct file_ra_state *ra, struct address_space *mapping, struct file *file)
{
	page_cache_ra_unbounded(mapping, file, ra->start, ra->size, ra->async_size);
}

void page_cache_sync_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       struct file *file, pgoff_t index, unsigned long req_count)
{
	unsigned int max = ra->ra_pages;
	pgoff_t prev_index = ra->prev_pos < 0 ? ~0UL : (pgoff_t)ra->prev_pos >> PAGE_SHIFT;

	if (!max) {				/* readahead off: just what was asked */
		page_cache_ra_unbounded(mapping, file, index, req_count, 0);
		return;
	}
	if (req_count > max)
		req_count = max;
	if (index == 0 || index == prev_index || index == prev_index + 1 ||
	    (ra->size && index == ra->start + ra->size)) {
		/* sequential (or the start of the file): a growing window */
		if (ra->size && index == ra->start + ra->size)
			ra->size = next_ra_size(ra->size, max);
		else
			ra->size = init_ra_size((unsigned int)req_count, max);
		ra->start = index;
		ra->async_size = ra->size > req_count ? ra->size - (unsigned int)req_count : ra->size;
		ra_submit(ra, mapping, file);
		return;
	}
	/* random: read what was asked, forget the window */
	ra->start = index;
	ra->size = (unsigned int)req_count;
	ra->async_size = 0;
	ra_submit(ra, mapping, file);
}

void page_cache_async_readahead(struct address_space *mapping, struct file_ra_state *ra,
				struct file *file, struct page *page, pgoff_t index,
				unsigned long req_count)
{
	unsigned int max = ra->ra_pages;

	if (!max || !page_test_and_clear_flag(page, PG_readahead))
		return;
	if (page_test_flag(page, PG_writeback))
		return;
	if (index == ra->start + ra->size - ra->async_size) {
		/* the marker of the current window: the next one follows it */
		ra->start += ra->size;
		ra->size = next_ra_size(ra->size, max);
	} else {
		/* a marker of an older window (another reader, or a seek): start afresh here */
		ra->start = index + 1;
		ra->size = init_ra_size((unsigned int)req_count, max);
	}
	ra->async_size = ra->size;
	ra_submit(ra, mapping, file);
}
