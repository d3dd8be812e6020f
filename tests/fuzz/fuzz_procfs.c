// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The /proc parsers of the fallback to the BPF iterator: the first byte picks
 * /proc/PID/stat (one line) or /proc/PID/smaps (the rest of the input).
 */
#include "fuzz_common.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmt_vma *v = NULL;
	uint64_t brk, heap_end;
	char *text;
	FILE *f;

	if (!size)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	if (data[0] & 1) {
		procfs_parse_stat(text, &brk);
	} else {
		f = fmemopen(text, size - 1 ? size - 1 : 1, "r");
		if (f) {
			procfs_parse_smaps(f, &v, &heap_end);
			fclose(f);
			free(v);
		}
	}
	free(text);
	return 0;
}
