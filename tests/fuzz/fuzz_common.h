/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the libFuzzer harnesses share: a private temporary directory (removed at exit) and
 * writing an input to a file in it. Each harness is one LLVMFuzzerTestOneInput.
 */
#ifndef VMATRACE_FUZZ_COMMON_H
#define VMATRACE_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char fuzz_dir[64];

static void fuzz_rmdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", fuzz_dir);
}

/* The directory, made at the first call; quiet logging (inputs are meant to be bad). */
static inline const char *fuzz_tmpdir(void)
{
	if (!fuzz_dir[0]) {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/vmatrace-fuzz.XXXXXX");
		if (!mkdtemp(fuzz_dir))
			abort();
		atexit(fuzz_rmdir);
		log_init("vmatrace-fuzz", 0);
		log_set_max_level(LOG_LVL_ERR - 1);
	}
	return fuzz_dir;
}

/* Replace dir/name with the input. */
static inline void fuzz_write(const char *dir, const char *name, const uint8_t *data, size_t size)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
}

#endif
