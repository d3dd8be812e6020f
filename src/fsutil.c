// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode,
		      unsigned int flags)
{
	char tmp[4096];
	const char *p = data;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= n;
	}
	if (!err && (flags & AW_EXACT_MODE) && fchmod(fd, mode))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

uint64_t dir_bytes(const char *dir, int *nfiles)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t total = 0;
	int n = 0;

	if (d) {
		while ((de = readdir(d))) {
			struct stat st;

			if (!fstatat(dirfd(d), de->d_name, &st, 0) && S_ISREG(st.st_mode)) {
				total += st.st_size;
				n++;
			}
		}
		closedir(d);
	}
	if (nfiles)
		*nfiles = n;
	return total;
}

void dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}
