/*
 * memfd_create(2): an anonymous regular file of an internal tmpfs mount
 * (Linux's shm_mnt), as Linux's mm/memfd.c and shmem_file_setup. The
 * file's dentry "memfd:NAME" is never hashed, so it is unlinked from
 * birth (st_nlink 0, /proc/PID/maps shows "/memfd:NAME (deleted)"); its
 * pages are tmpfs page-cache pages, so read, write, ftruncate, fallocate
 * and MAP_SHARED (shared across fork) all work as on any tmpfs file.
 *
 * Seals: a memfd made without MFD_ALLOW_SEALING has F_SEAL_SEAL (no
 * more can be added), with it none; MFD_NOEXEC_SEAL makes it 0666 with
 * F_SEAL_EXEC. fcntl F_ADD_SEALS/F_GET_SEALS and the checks are in
 * fs/ramfs.c. MFD_HUGETLB is -EINVAL: there is no hugetlbfs.
 */
#include <pagoda/err.h>
#include <pagoda/errno.h>
#include <pagoda/fs.h>
#include <pagoda/string.h>
#include <pagoda/syscall.h>
#include <pagoda/task.h>
#include <pagoda/uaccess.h>
#include <mm/slab.h>

#define MFD_CLOEXEC		0x0001U
#define MFD_ALLOW_SEALING	0x0002U
#define MFD_HUGETLB		0x0004U
#define MFD_NOEXEC_SEAL		0x0008U
#define MFD_EXEC		0x0010U
#define MFD_NAME_PREFIX		"memfd:"
#define MFD_NAME_PREFIX_LEN	(sizeof(MFD_NAME_PREFIX) - 1)
#define MFD_NAME_MAX_LEN	(NAME_MAX - MFD_NAME_PREFIX_LEN)	/* 249 */

/* memfd's tmpfs, mounted at boot (so its few objects are not a first memfd's leak) */
static struct vfsmount *shm_mnt;

int shmem_init(void)
{
	struct vfsmount *m = kern_mount("tmpfs");

	if (IS_ERR(m))
		return (int)PTR_ERR(m);
	shm_mnt = m;
	return 0;
}

struct file *shmem_file_setup(const char *name, long *err)
{
	struct vfsmount *mnt = shm_mnt;
	struct qstr q;
	struct inode *inode;
	struct dentry *d;
	struct path p;
	struct file *f;

	if (!mnt) {
		*err = -ENODEV;
		return NULL;
	}
	inode = ramfs_get_inode(mnt->mnt_sb, NULL, S_IFREG | 0777, 0);
	if (!inode) {
		*err = -ENOMEM;
		return NULL;
	}
	clear_nlink(inode);		/* no name anywhere: the last close frees it */
	q = qstr_hash(name, (u32)strlen(name));
	d = d_alloc(mnt->mnt_root, &q);
	if (!d) {
		iput(inode);
		*err = -ENOMEM;
		return NULL;
	}
	d_instantiate(d, inode);	/* never hashed: "(deleted)" in maps */
	p.mnt = mnt;
	p.dentry = d;
	f = file_open_path(&p, O_RDWR, err);
	dput(d);			/* the file holds its own reference */
	return f;
}

SYSCALL_DEFINE(__NR_memfd_create, memfd_create)
{
	unsigned int flags = (unsigned int)a1;
	char *name;
	struct file *f;
	long len, err, fd;

	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL;
	if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC))
		return -EINVAL;
	if (flags & MFD_HUGETLB)
		return -EINVAL;		/* no hugetlbfs: see the top of the file */
	name = kmalloc(MFD_NAME_PREFIX_LEN + MFD_NAME_MAX_LEN + 1, GFP_KERNEL);
	if (!name)
		return -ENOMEM;
	memcpy(name, MFD_NAME_PREFIX, MFD_NAME_PREFIX_LEN);
	len = strncpy_from_user(name + MFD_NAME_PREFIX_LEN, (const char *)(uintptr_t)a0,
				MFD_NAME_MAX_LEN + 1);
	if (len < 0) {
		kfree(name);
		return len == -ENAMETOOLONG ? -EINVAL : len;
	}
	f = shmem_file_setup(name, &err);
	kfree(name);
	if (!f)
		return err;
	if (flags & MFD_NOEXEC_SEAL) {
		f->inode->i_mode &= ~(u32)0111;
		f->inode->i_seals = F_SEAL_EXEC;
	} else if (flags & MFD_ALLOW_SEALING) {
		f->inode->i_seals = 0;
	}
	fd = fd_install_from(current->files, f, 0, flags & MFD_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}
