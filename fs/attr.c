/*
 * notify_change: the one place mode, owner and times change (chmod,
 * chown, utimensat and their relatives in fs/sys_attr.c), with Linux's
 * rules (fs/attr.c there): ctime is always now, a chown of a non-directory
 * drops S_ISUID and, when group-exec is set, S_ISGID; a symlink's mode
 * cannot change. Every caller is root, so nothing is -EPERM.
 *
 * Locking: the inode's i_rwsem for writing around the change; a file
 * system with ->setattr (ext2) applies it inside its own lock, so its
 * copies of the inode never see half of it.
 */
#include <pagoda/errno.h>
#include <pagoda/fs.h>

/* The mode @ia leaves: its own (ATTR_MODE) or the inode's, less the bits a chown kills. */
static u32 new_mode(const struct inode *inode, const struct iattr *ia)
{
	u32 mode = (ia->ia_valid & ATTR_MODE) ?
		   (inode->i_mode & S_IFMT) | (ia->ia_mode & S_IALLUGO) : inode->i_mode;

	if (ia->ia_valid & ATTR_KILL_SUID)
		mode &= ~(u32)04000;
	if ((ia->ia_valid & ATTR_KILL_SGID) && (mode & 00010))
		mode &= ~(u32)02000;
	return mode;
}

void setattr_copy(struct inode *inode, const struct iattr *ia)
{
	struct timespec64 now = current_time();

	inode->i_mode = new_mode(inode, ia);
	if (ia->ia_valid & ATTR_UID)
		inode->i_uid = ia->ia_uid;
	if (ia->ia_valid & ATTR_GID)
		inode->i_gid = ia->ia_gid;
	if (ia->ia_valid & ATTR_ATIME)
		inode->i_atime = (ia->ia_valid & ATTR_ATIME_SET) ? ia->ia_atime : now;
	if (ia->ia_valid & ATTR_MTIME)
		inode->i_mtime = (ia->ia_valid & ATTR_MTIME_SET) ? ia->ia_mtime : now;
	inode->i_ctime = now;
}

int notify_change(struct vfsmount *mnt, struct inode *inode, struct iattr *ia)
{
	struct super_block *sb = inode->i_sb;
	int err = 0;

	if (mnt && (mnt->mnt_sb->s_flags & SB_RDONLY))
		return -EROFS;
	if ((ia->ia_valid & ATTR_MODE) && S_ISLNK(inode->i_mode))
		return -EOPNOTSUPP;
	/* a memfd sealed with F_SEAL_EXEC keeps its x bits (Linux's shmem_setattr) */
	if ((ia->ia_valid & ATTR_MODE) && (inode->i_seals & F_SEAL_EXEC) &&
	    ((inode->i_mode ^ ia->ia_mode) & 0111))
		return -EPERM;
	if (!sb) {			/* the console's own inode: nothing else holds it */
		setattr_copy(inode, ia);
		return 0;
	}
	down_write(&inode->i_rwsem);
	if (sb->s_op && sb->s_op->setattr)
		err = sb->s_op->setattr(inode, ia);
	else
		setattr_copy(inode, ia);
	up_write(&inode->i_rwsem);
	return err;
}
