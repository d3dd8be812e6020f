// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Atomic file replacement (src/fsutil.c) and the clocks (src/clock.c). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(fsutil, replaces_whole_with_mode)
{
	char dir[] = "/tmp/vmatrace-fsutil-XXXXXX", path[128], buf[64] = "";
	struct stat st;
	FILE *f;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.prom", dir);
	cr_assert_eq(atomic_write_file(path, "old\n", 4, 0640, 0), 0);
	cr_assert_eq(atomic_write_file(path, "new text\n", 9, 0600, AW_EXACT_MODE), 0);
	f = fopen(path, "r");
	cr_assert(f);
	cr_assert(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert_str_eq(buf, "new text\n");
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(entries(dir), 1, "no temporary file is left");
	unlink(path);
	rmdir(dir);
}

Test(fsutil, failure_leaves_nothing)
{
	cr_assert_eq(atomic_write_file("/nonexistent-dir/x", "a", 1, 0640, 0), -ENOENT);
}

Test(clock, offsets_agree)
{
	uint64_t mono = clock_mono_ns(), real = clock_real_ns();
	long long off = clock_realtime_offset_ns();

	cr_assert(mono > 0 && real > mono);
	cr_assert(llabs((long long)(real - mono) - off) < 1000000000ll);
}
