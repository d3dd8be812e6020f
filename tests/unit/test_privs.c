// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Least privilege (src/privs.c): who may own the files that decide what runs as root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privs.h"

static char dir[64], path[128];

static void make_file(void)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/vmatrace-privs-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vmatrace.conf", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("log_level = info\n", f);
	fclose(f);
}

static void remove_file(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(privs, .init = make_file, .fini = remove_file);

static int check_mode(mode_t mode, char *err, size_t len)
{
	cr_assert_eq(chmod(path, mode), 0);
	return privs_check_file(path, "configuration", err, len);
}

Test(privs, only_root_may_write_the_file)
{
	char err[512];

	if (geteuid() != 0)
		cr_skip_test("needs root (the file must be root's)");
	cr_assert_eq(check_mode(0644, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(check_mode(0600, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(check_mode(0755, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(check_mode(0666, err, sizeof(err)), -EPERM);
	cr_assert(strstr(err, "refused: owned by uid 0 with mode 0666"), "%s", err);
	cr_assert(strstr(err, path), "%s", err);
	cr_assert(strstr(err, "chmod go-w"), "the fix is in the message: %s", err);
	cr_assert_eq(check_mode(0620, err, sizeof(err)), -EPERM, "group-writable");
	cr_assert_eq(check_mode(0602, err, sizeof(err)), -EPERM, "world-writable");
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(chown(path, 65534, 0), 0);
	cr_assert_eq(privs_check_file(path, "alert_exec", err, sizeof(err)), -EPERM);
	cr_assert(strstr(err, "alert_exec") && strstr(err, "owned by uid 65534"), "%s", err);
}

Test(privs, a_missing_file_says_so)
{
	char err[512];

	cr_assert_eq(privs_check_file("/nonexistent/hook", "alert_exec", err, sizeof(err)),
		     -ENOENT);
	cr_assert(strstr(err, "/nonexistent/hook"), "%s", err);
}

Test(privs, hook_user_by_name_or_number)
{
	char err[256];
	uid_t uid;
	gid_t gid;

	cr_assert_eq(privs_lookup_user("root", &uid, &gid, err, sizeof(err)), 0);
	cr_assert_eq(uid, 0);
	cr_assert_eq(privs_lookup_user("12345", &uid, &gid, err, sizeof(err)), 0);
	cr_assert_eq(uid, 12345);
	cr_assert_eq(gid, 12345);
	cr_assert_eq(privs_lookup_user("no-such-user-here", &uid, &gid, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "no-such-user-here"), "%s", err);
	cr_assert_eq(privs_lookup_user("", &uid, &gid, err, sizeof(err)), -ENOENT);
	cr_assert_eq(privs_lookup_user("12x", &uid, &gid, err, sizeof(err)), -ENOENT);
}

/* In a child: become another user; nothing of root's is left. */
Test(privs, become_leaves_no_capability)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(privs_become(65534, 65534), 0, "%s", strerror(errno));
	cr_assert_eq(getuid(), 65534);
	cr_assert_eq(geteuid(), 65534);
	cr_assert_eq(getgid(), 65534);
	cr_assert_eq(getgroups(0, NULL), 0);
	cr_assert_eq(privs_effective_mask(), 0);
	cr_assert_neq(setuid(0), 0, "root again");
}
