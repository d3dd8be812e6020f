// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* File identities to paths (src/filepaths.c). */
#include <criterion/criterion.h>
#include <string.h>
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
	cr_assert_eq(filepaths_put(&fp, 1, 10, "/a"), 1);
	cr_assert_eq(filepaths_put(&fp, 1, 11, "/b"), 1);
	cr_assert(filepaths_put(&fp, 1, 12, "/c") < 0);
	cr_assert_eq(fp.refused, 1);
	cr_assert_eq(filepaths_put(&fp, 1, 10, "/a2"), 1, "a known identity is renamed");
	cr_assert_str_eq(filepaths_get(&fp, 1, 10), "/a2");
	filepaths_free(&fp);
}
