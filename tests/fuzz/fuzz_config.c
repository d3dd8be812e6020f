// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The configuration parser: the input is a whole vmatrace.conf. */
#include "config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_tmpdir();
	char path[128], err[512];
	struct config c;

	fuzz_write(dir, "vmatrace.conf", data, size);
	snprintf(path, sizeof(path), "%s/vmatrace.conf", dir);
	config_defaults(&c);
	config_load_file(&c, path, true, err, sizeof(err));
	return 0;
}
