/*
 * Page-cache I/O through a block map (fs/mpage.c): the blocks of a page
 * found by a get_block callback, read or written with bios on one block
 * device, completed from the disk's interrupt handler. What a file
 * system's address_space_operations call (ext2's with ext2_get_block; a
 * block device's own cache with the identity map).
 *
 * Completion (include/mm/pagemap.h): a read ends with page_read_done()
 * once every bio of the page ended (an error in any: -EIO); a write
 * unlocks the page once its bios are submitted and ends with
 * page_end_writeback() once they all ended. Blocks past the end of the
 * file are neither read nor written; a page that holds the end of the
 * file reads zeros after it (even inside its last block), and its tail is
 * zeroed before a write, so the disk never gets stale memory.
 */
#ifndef FS_MPAGE_H
#define FS_MPAGE_H

#include <pagoda/types.h>

struct block_device;
struct page;
struct readahead_control;
struct writeback_control;

#define MPAGE_HOLE	1	/* get_block: the block is not allocated */

struct blockmap {
	struct block_device *bdev;
	unsigned int blkbits;		/* log2 of the block size: 9 .. PAGE_SHIFT */
	/*
	 * Block @iblock of the file is disk block *@pblock (in blkbits
	 * units): returns 0; or it is a hole: returns MPAGE_HOLE (only
	 * when !@create); or -errno (-EIO, -ENOSPC, -EUCLEAN...). May sleep.
	 */
	int (*get_block)(struct blockmap *map, u64 iblock, u64 *pblock, bool create);
	void *owner;			/* the file system's */
};

/* ->read_folio: read the locked @page (of a mapping whose host gives the file size). */
int mpage_read_folio(struct blockmap *map, struct page *page);
/* ->readahead: mpage_read_folio() on each page of the batch. */
void mpage_readahead(struct blockmap *map, struct readahead_control *rac);
/*
 * ->writepage: write the locked @page (writeback already set). Returns 0
 * or a submit error. A whole page inside the file on consecutive blocks
 * joins the pass's batch (wbc->batch): pages on consecutive blocks go in
 * one bio, kept locked until the pass flushes it; any other page is
 * written (and unlocked) at once, after the batch.
 */
int mpage_writepage(struct blockmap *map, struct page *page, struct writeback_control *wbc);

/* get_block of a block device's own cache: block n is block n, within the device. */
int blkdev_get_block(struct blockmap *map, u64 iblock, u64 *pblock, bool create);

#endif
