/*
 * Per-process file descriptor tables. A table holds one reference on each
 * open file; descriptors are handed out lowest first, as POSIX requires.
 *
 * Locking: a table belongs to one task (fork gives the child its own copy,
 * files_dup; clone refuses CLONE_FILES), and only that task changes it, so
 * the table needs no lock today. Files are shared across tables: their
 * reference counts are atomic.
 */
#include <pagoda/fs.h>
#include <pagoda/errno.h>
#include <pagoda/string.h>
#include <mm/slab.h>

struct files_struct *files_create(void)
{
	struct files_struct *files = kzalloc(sizeof(*files), GFP_KERNEL);

	if (files)
		files->refs = 1;
	return files;
}

struct files_struct *files_create_console(void)
{
	struct files_struct *files = files_create();

	if (!files)
		return NULL;
	for (int fd = 0; fd < 3; fd++)
		fd_install_at(files, fd, console_file(), false);
	return files;
}

struct files_struct *files_dup(const struct files_struct *old)
{
	struct files_struct *files = files_create();

	if (!files)
		return NULL;
	for (int fd = 0; fd < NR_OPEN_MAX; fd++)
		if (old->fd[fd])
			files->fd[fd] = file_get(old->fd[fd]);
	files->cloexec = old->cloexec;
	return files;
}

void files_put(struct files_struct *files)
{
	if (!files || --files->refs > 0)
		return;
	for (int fd = 0; fd < NR_OPEN_MAX; fd++)
		if (files->fd[fd])
			file_put(files->fd[fd]);
	kfree(files);
}

static bool fd_valid(int fd)
{
	return fd >= 0 && fd < NR_OPEN_MAX;
}

struct file *fd_get(struct files_struct *files, int fd)
{
	if (!files || !fd_valid(fd))
		return NULL;
	return files->fd[fd];
}

bool fd_get_cloexec(struct files_struct *files, int fd)
{
	return files->cloexec >> fd & 1;
}

void fd_set_cloexec(struct files_struct *files, int fd, bool on)
{
	if (on)
		files->cloexec |= 1ULL << fd;
	else
		files->cloexec &= ~(1ULL << fd);
}

int fd_install_from(struct files_struct *files, struct file *f, int min, bool cloexec)
{
	if (!fd_valid(min))
		return -EINVAL;
	for (int fd = min; fd < NR_OPEN_MAX; fd++) {
		if (!files->fd[fd]) {
			files->fd[fd] = f;
			fd_set_cloexec(files, fd, cloexec);
			return fd;
		}
	}
	return -EMFILE;
}

int fd_install(struct files_struct *files, struct file *f)
{
	return fd_install_from(files, f, 0, false);
}

void fd_install_at(struct files_struct *files, int fd, struct file *f, bool cloexec)
{
	struct file *old = files->fd[fd];

	files->fd[fd] = f;
	fd_set_cloexec(files, fd, cloexec);
	if (old)
		file_put(old);
}

int fd_close(struct files_struct *files, int fd)
{
	struct file *f = fd_get(files, fd);

	if (!f)
		return -EBADF;
	files->fd[fd] = NULL;
	fd_set_cloexec(files, fd, false);
	file_put(f);
	return 0;
}
