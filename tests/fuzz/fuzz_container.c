// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Containers from cgroup paths (anyone may name a cgroup it owns, and the
 * path reaches every output): container_parse() and everything written from
 * its result (the short id, the labels for text and Prometheus, the JSON,
 * read back with container_from_json), and the selector.
 */
#include "fuzz_common.h"
#include "container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container c, back;
	char *path = malloc(size + 1), shrt[sizeof(c.id)];
	struct strbuf sb;
	struct jsonw w;
	json_t *j;

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = 0;
	sb_init(&sb);
	if (container_parse(path, &c)) {
		if (c.runtime == CTR_NONE || !c.id[0])
			abort();
		container_short_id(&c, shrt, sizeof(shrt));
		container_label(&sb, &c, UT_TEXT);
		container_label(&sb, &c, UT_PROM);
		sb_reset(&sb);
		jw_begin(&w, &sb);
		jw_obj(&w);
		container_json(&w, "container", &c);
		jw_obj_end(&w);
		j = sb.buf ? jr_parse(sb.buf, sb.len) : NULL;
		/* What was written reads back as the same container kind. */
		if (!sb.oom && (!j || !container_from_json(j, "container", &back) ||
				back.runtime != c.runtime))
			abort();
		json_decref(j);
		container_matches(&c, path);
	} else if (c.runtime != CTR_NONE) {
		abort();
	}
	sb_free(&sb);
	free(path);
	return 0;
}
