/*
 * ext2 on-disk format: the structures as they sit on the disk, every
 * multi-byte field little-endian (pagoda/byteorder.h forces the
 * conversions). Only what fs/ext2/ reads or writes is named; the rest of
 * each structure is padding kept as it was found. docs/ext2.md.
 *
 * Layout of a volume of N fs blocks of B bytes (B = 1024 << s_log_block_size):
 *   byte 1024         the superblock (block 1 when B = 1024, inside block 0
 *                     otherwise); s_first_data_block is 1 or 0 accordingly
 *   groups            of s_blocks_per_group blocks from s_first_data_block;
 *                     group g holds a superblock backup (sparse_super: g = 0,
 *                     1 and powers of 3, 5, 7), then its copy of the group
 *                     descriptor table and s_reserved_gdt_blocks, then (as
 *                     mke2fs -t ext2 places them) its block bitmap, inode
 *                     bitmap, inode table and data blocks
 *   descriptor table  block s_first_data_block + 1: one 32-byte descriptor
 *                     per group
 * Inode n (from 1) is entry (n - 1) % s_inodes_per_group of group
 * (n - 1) / s_inodes_per_group's inode table, s_inode_size bytes each.
 */
#ifndef FS_EXT2_DISK_H
#define FS_EXT2_DISK_H

#include <pagoda/byteorder.h>
#include <pagoda/compiler.h>

#define EXT2_SUPER_MAGIC	0xEF53
#define EXT2_SUPER_OFFSET	1024		/* bytes from the start of the volume */
#define EXT2_MIN_BLOCK_LOG	10		/* 1 KiB */
#define EXT2_MAX_BLOCK_LOG	16		/* 64 KiB */
#define EXT2_GOOD_OLD_REV	0		/* 128-byte inodes, first inode 11 */
#define EXT2_DYNAMIC_REV	1		/* s_inode_size, s_first_ino, features */
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO	11

/* Reserved inode numbers. */
#define EXT2_BAD_INO		1
#define EXT2_ROOT_INO		2
#define EXT2_RESIZE_INO		7

/* s_state */
#define EXT2_VALID_FS		0x0001		/* cleanly unmounted */
#define EXT2_ERROR_FS		0x0002		/* errors were detected */

/* s_feature_compat: unknown ones are harmless. */
#define EXT2_FEATURE_COMPAT_DIR_PREALLOC	0x0001
#define EXT2_FEATURE_COMPAT_IMAGIC_INODES	0x0002
#define EXT3_FEATURE_COMPAT_HAS_JOURNAL		0x0004
#define EXT2_FEATURE_COMPAT_EXT_ATTR		0x0008
#define EXT2_FEATURE_COMPAT_RESIZE_INODE	0x0010
#define EXT2_FEATURE_COMPAT_DIR_INDEX		0x0020

/* s_feature_ro_compat: an unknown one still allows reading. */
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER	0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE	0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR	0x0004
#define EXT2_FEATURE_RO_COMPAT_SUPPORTED	\
	(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

/* s_feature_incompat: an unknown one means the format cannot be read. */
#define EXT2_FEATURE_INCOMPAT_COMPRESSION	0x0001
#define EXT2_FEATURE_INCOMPAT_FILETYPE		0x0002	/* dirent file_type byte */
#define EXT3_FEATURE_INCOMPAT_RECOVER		0x0004
#define EXT2_FEATURE_INCOMPAT_META_BG		0x0010
#define EXT2_FEATURE_INCOMPAT_SUPPORTED		EXT2_FEATURE_INCOMPAT_FILETYPE

struct ext2_super_block {
	__le32 s_inodes_count;
	__le32 s_blocks_count;
	__le32 s_r_blocks_count;		/* reserved for root */
	__le32 s_free_blocks_count;
	__le32 s_free_inodes_count;
	__le32 s_first_data_block;
	__le32 s_log_block_size;		/* block size = 1024 << this */
	__le32 s_log_frag_size;
	__le32 s_blocks_per_group;
	__le32 s_frags_per_group;
	__le32 s_inodes_per_group;
	__le32 s_mtime;				/* last mount */
	__le32 s_wtime;				/* last superblock write */
	__le16 s_mnt_count;
	__le16 s_max_mnt_count;
	__le16 s_magic;
	__le16 s_state;				/* EXT2_VALID_FS | EXT2_ERROR_FS */
	__le16 s_errors;
	__le16 s_minor_rev_level;
	__le32 s_lastcheck;
	__le32 s_checkinterval;
	__le32 s_creator_os;
	__le32 s_rev_level;
	__le16 s_def_resuid;
	__le16 s_def_resgid;
	/* EXT2_DYNAMIC_REV */
	__le32 s_first_ino;			/* first non-reserved inode */
	__le16 s_inode_size;
	__le16 s_block_group_nr;		/* of this copy */
	__le32 s_feature_compat;
	__le32 s_feature_incompat;
	__le32 s_feature_ro_compat;
	u8 s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	__le32 s_algorithm_usage_bitmap;
	u8 s_prealloc_blocks;
	u8 s_prealloc_dir_blocks;
	__le16 s_reserved_gdt_blocks;		/* resize_inode: per descriptor table copy */
	u8 s_rest[1024 - 208];			/* journal, hash seed, ...: kept as found */
};
BUILD_BUG_ON(sizeof(struct ext2_super_block) != 1024);

struct ext2_group_desc {
	__le32 bg_block_bitmap;
	__le32 bg_inode_bitmap;
	__le32 bg_inode_table;			/* first block of it */
	__le16 bg_free_blocks_count;
	__le16 bg_free_inodes_count;
	__le16 bg_used_dirs_count;
	__le16 bg_flags;
	u8 bg_reserved[12];
};
BUILD_BUG_ON(sizeof(struct ext2_group_desc) != 32);

/* i_block[]: 12 direct pointers, then single, double and triple indirect. */
#define EXT2_NDIR_BLOCKS	12
#define EXT2_IND_BLOCK		12
#define EXT2_DIND_BLOCK		13
#define EXT2_TIND_BLOCK		14
#define EXT2_N_BLOCKS		15
/* A symlink whose target (no NUL) is shorter than this lives in i_block. */
#define EXT2_FAST_SYMLINK_MAX	(EXT2_N_BLOCKS * 4)

/* i_flags */
#define EXT2_INDEX_FL		0x00001000	/* htree-indexed directory */
#define EXT4_EXTENTS_FL		0x00080000	/* not block-mapped: refused */
#define EXT4_INLINE_DATA_FL	0x10000000	/* data in the inode: refused */

/* i_mode file types: Linux's S_IF* values. */
#define EXT2_S_IFMT		0170000
#define EXT2_S_IFSOCK		0140000
#define EXT2_S_IFLNK		0120000
#define EXT2_S_IFREG		0100000
#define EXT2_S_IFBLK		0060000
#define EXT2_S_IFDIR		0040000
#define EXT2_S_IFCHR		0020000
#define EXT2_S_IFIFO		0010000

/* The first 128 bytes of every inode; larger inodes add i_extra_isize. */
struct ext2_disk_inode {
	__le16 i_mode;
	__le16 i_uid;				/* low 16 bits */
	__le32 i_size;				/* low 32 bits */
	__le32 i_atime;
	__le32 i_ctime;
	__le32 i_mtime;
	__le32 i_dtime;				/* deletion time: 0 while in use */
	__le16 i_gid;				/* low 16 bits */
	__le16 i_links_count;
	__le32 i_blocks;			/* 512-byte units, indirect blocks included */
	__le32 i_flags;
	__le32 i_osd1;
	__le32 i_block[EXT2_N_BLOCKS];
	__le32 i_generation;
	__le32 i_file_acl;			/* extended attribute block */
	__le32 i_size_high;			/* regular files (large_file) */
	__le32 i_faddr;
	u8 i_osd2_frag[4];
	__le16 i_uid_high;
	__le16 i_gid_high;
	u8 i_osd2_reserved[4];
	/* s_inode_size > 128 */
	__le16 i_extra_isize;			/* bytes used past 128 */
};
BUILD_BUG_ON(__builtin_offsetof(struct ext2_disk_inode, i_extra_isize) != 128);
#define EXT2_EXTRA_ISIZE_DEFAULT	32	/* what mke2fs 1.47 gives new inodes */

/* Directory entries: 4-byte aligned records that tile each block. */
#define EXT2_NAME_LEN		255
struct ext2_dir_entry {
	__le32 inode;				/* 0: an unused record */
	__le16 rec_len;				/* to the next record */
	u8 name_len;
	u8 file_type;				/* EXT2_FT_* with the filetype feature */
	char name[];
};
#define EXT2_DIR_ENTRY_HEADER	8
/* The smallest record holding a name of @len bytes. */
#define EXT2_DIR_REC_LEN(len)	ALIGN_UP((u32)(len) + EXT2_DIR_ENTRY_HEADER, 4u)

#define EXT2_FT_UNKNOWN		0
#define EXT2_FT_REG_FILE	1
#define EXT2_FT_DIR		2
#define EXT2_FT_CHRDEV		3
#define EXT2_FT_BLKDEV		4
#define EXT2_FT_FIFO		5
#define EXT2_FT_SOCK		6
#define EXT2_FT_SYMLINK		7
#define EXT2_FT_MAX		8

/* Extended attribute block header: only its refcount is touched. */
#define EXT2_XATTR_MAGIC	0xEA020000
struct ext2_xattr_header {
	__le32 h_magic;
	__le32 h_refcount;
};

#endif
