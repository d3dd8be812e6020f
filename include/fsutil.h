/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Writing files that readers must see whole or not at all; sizing and removing scratch directories. */
#ifndef VMATRACE_FSUTIL_H
#define VMATRACE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* atomic_write_file() flags */
#define AW_EXACT_MODE (1u << 0) /* mode as given, whatever the umask (default: less the umask) */

/*
 * Replace path with data atomically: a temporary file in the same directory,
 * written, fsync'd, given `mode` and renamed over path (a reader sees the old
 * file or the new one, never half). Returns 0 or -errno; on failure path is
 * unchanged and the temporary file is gone.
 */
int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode,
		      unsigned int flags);

/* The bytes of the regular files directly in dir, and how many they are (nfiles may be NULL);
 * 0 if dir cannot be read. */
uint64_t dir_bytes(const char *dir, int *nfiles);

/* Removes the entries directly in dir (not recursively), then dir itself; best effort. */
void dir_remove(const char *dir);

#endif
