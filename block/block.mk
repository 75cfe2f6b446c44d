# block/: the block layer (docs/block-layer.md) and its partition parsers.
BLOCK_SRCS := block/bio.c block/blk_core.c block/blk_mq.c block/blk_split.c \
	block/blk_timeout.c block/blk_poll.c block/genhd.c block/disk_name.c
BLOCK_SRCS += block/partitions/core.c block/partitions/efi.c block/partitions/msdos.c
