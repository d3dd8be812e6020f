// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* File identities to paths (src/filepaths.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "filepaths.h"

Test(filepaths, learns_own_maps_and_checks_identity)
{
	struct filepaths fp;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	cr_assert(n > 0);
	exe[n] = 0;
	cr_assert_eq(stat(exe, &st), 0);
	filepaths_init(&fp, 1024);
	cr_assert(filepaths_learn_pid(&fp, getpid()) >= 2); /* this binary and libc at least */
	cr_assert_str_eq(filepaths_get(&fp, major(st.st_dev) << 20 | minor(st.st_dev), st.st_ino),
			 exe);
	cr_assert_eq(filepaths_learn_pid(&fp, getpid()), 0, "nothing new the second time");
	cr_assert_null(filepaths_get(&fp, 1, 1));
	cr_assert(filepaths_learn_pid(&fp, 0x7ffffffe) < 0);
	filepaths_free(&fp);
}

Test(filepaths, bounded)
{
	struct filepaths fp;

	filepaths_init(&fp, 2);
	cr_assert_eq(filepaths_put(&fp, 1, 10, "/a", NULL), 1);
	cr_assert_eq(filepaths_put(&fp, 1, 11, "/b", NULL), 1);
	cr_assert(filepaths_put(&fp, 1, 12, "/c", NULL) < 0);
	cr_assert_eq(fp.refused, 1);
	cr_assert_eq(filepaths_put(&fp, 1, 10, "/a2", NULL), 1, "a known identity is renamed");
	cr_assert_str_eq(filepaths_get(&fp, 1, 10), "/a2");
	filepaths_free(&fp);
}

Test(filepaths, a_deleted_file_is_opened_through_its_mapping)
{
	char tmpl[] = "/tmp/vmt-fp-XXXXXX", want[128];
	struct filepaths fp;
	const char *path, *open;
	struct stat st;
	uint32_t dev;
	void *p;
	int fd = mkstemp(tmpl);

	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 4096), 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	cr_assert(p != MAP_FAILED);
	cr_assert_eq(fstat(fd, &st), 0);
	close(fd);
	unlink(tmpl); /* as an upgrade replaces a library that a process still maps */
	if (access("/proc/self/map_files", R_OK)) {
		munmap(p, 4096);
		cr_skip_test("/proc/self/map_files is not readable here (needs CAP_SYS_ADMIN)");
	}
	dev = major(st.st_dev) << 20 | minor(st.st_dev);
	filepaths_init(&fp, 1024);
	cr_assert(filepaths_learn_pid(&fp, getpid()) > 0);
	path = filepaths_get(&fp, dev, st.st_ino);
	open = filepaths_get_open(&fp, dev, st.st_ino);
	cr_assert_not_null(path, "a deleted file that is still mapped is learnt");
	cr_assert(strstr(path, tmpl) == path, "shown as the process names it: %s", path);
	snprintf(want, sizeof(want), "/proc/%d/map_files/%lx-", (int)getpid(), (unsigned long)p);
	cr_assert(strncmp(open, want, strlen(want)) == 0, "opened through its mapping: %s", open);
	cr_assert_eq(access(open, R_OK), 0);
	filepaths_free(&fp);
	munmap(p, 4096);
}
