/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Made-up file trees for unit tests (a /proc, cgroup mounts, tracefs, runtimes' state). */
#ifndef VMATRACE_TREE_FIXTURE_H
#define VMATRACE_TREE_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Write text at path, making the missing directories on the way. */
static inline void tree_put(const char *path, const char *text)
{
	char dir[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(dir, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* Remove a tree made under /tmp (a teardown: says so when it cannot). */
static inline void tree_remove(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
}

#endif
