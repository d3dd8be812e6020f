// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "untrusted.h"

#define CTR_NAME(e, s) s,
static const char *const runtime_names[] = { CONTAINER_RUNTIMES(CTR_NAME) };
#undef CTR_NAME

const char *container_runtime_name(enum container_runtime r)
{
	return r < CTR__COUNT ? runtime_names[r] : "";
}

/* One path component, not NUL-terminated. */
struct comp {
	const char *s;
	size_t n;
};

static bool has_prefix(struct comp c, const char *p)
{
	size_t n = strlen(p);

	return c.n >= n && !memcmp(c.s, p, n);
}

static bool has_suffix(struct comp c, const char *p)
{
	size_t n = strlen(p);

	return c.n >= n && !memcmp(c.s + c.n - n, p, n);
}

static bool is(struct comp c, const char *p)
{
	return c.n == strlen(p) && !memcmp(c.s, p, c.n);
}

/* The component without prefix and suffix, when it has both. */
static bool strip(struct comp c, const char *prefix, const char *suffix, struct comp *mid)
{
	if (!has_prefix(c, prefix) || !has_suffix(c, suffix) ||
	    c.n < strlen(prefix) + strlen(suffix))
		return false;
	mid->s = c.s + strlen(prefix);
	mid->n = c.n - strlen(prefix) - strlen(suffix);
	return true;
}

/* Runtimes' ids: lower-case hex, 12 digits at least (64 in practice). */
static bool hex_id(struct comp c)
{
	if (c.n < CONTAINER_SHORT_ID)
		return false;
	for (size_t i = 0; i < c.n; i++)
		if (!((c.s[i] >= '0' && c.s[i] <= '9') || (c.s[i] >= 'a' && c.s[i] <= 'f')))
			return false;
	return true;
}

static void copy(char *dst, size_t len, struct comp c)
{
	snprintf(dst, len, "%.*s", (int)c.n, c.s);
}

static bool set(struct container *out, enum container_runtime r, struct comp id)
{
	out->runtime = r;
	copy(out->id, sizeof(out->id), id);
	return true;
}

/*
 * A pod's UID: "pod<uid>" (cgroupfs driver) or "...-pod<uid with '_' for '-'>.slice"
 * (systemd driver, which reserves the dash). A UID is 36 characters, a static pod's 32.
 */
static bool pod_uid(struct comp c, char *uid, size_t len)
{
	struct comp u;
	const char *p;

	if (has_suffix(c, ".slice")) {
		c.n -= strlen(".slice");
		for (p = c.s + c.n - 1; p >= c.s + 3 && memcmp(p - 3, "pod", 3); p--)
			;
		if (p < c.s + 3 || (p - 3 != c.s && p[-4] != '-'))
			return false;
		u = (struct comp){ p, c.n - (size_t)(p - c.s) };
	} else if (has_prefix(c, "pod")) {
		u = (struct comp){ c.s + 3, c.n - 3 };
	} else {
		return false;
	}
	if (u.n < 32 || u.n > 36 || u.n >= len)
		return false;
	for (size_t i = 0; i < u.n; i++) {
		char ch = u.s[i];

		if (ch == '_')
			ch = '-';
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-'))
			return false;
		uid[i] = ch;
	}
	uid[u.n] = 0;
	return true;
}

/* The container level of a pod: the pod's runtime and its id. */
static bool pod_container(struct comp c, struct container *out)
{
	struct comp id;

	if (has_prefix(c, "crio-conmon-"))
		return false;
	if ((strip(c, "cri-containerd-", ".scope", &id) && hex_id(id)) || hex_id(c))
		return set(out, CTR_CONTAINERD, hex_id(c) ? c : id);
	if ((strip(c, "crio-", ".scope", &id) || strip(c, "crio-", "", &id)) && hex_id(id))
		return set(out, CTR_CRIO, id);
	if (strip(c, "docker-", ".scope", &id) && hex_id(id))
		return set(out, CTR_DOCKER, id);
	return false;
}

static bool kubepods_root(struct comp c)
{
	return is(c, "kubepods") || is(c, "kubepods.slice") || has_suffix(c, "-kubepods.slice");
}

static bool next_comp(const char **p, struct comp *c)
{
	while (**p == '/')
		(*p)++;
	if (!**p)
		return false;
	c->s = *p;
	c->n = strcspn(*p, "/");
	*p += c->n;
	return true;
}

bool container_parse(const char *path, struct container *out)
{
	struct comp c, id, next, unit = { 0 };
	bool kube = false, in_pod = false;
	const char *p = path ? path : "";

	memset(out, 0, sizeof(*out));
	while (next_comp(&p, &c)) {
		if (kube) {
			/* QoS levels come between the root and the pod. */
			if (!in_pod) {
				in_pod = pod_uid(c, out->pod_uid, sizeof(out->pod_uid));
				continue;
			}
			if (pod_container(c, out))
				return true;
			break; /* conmon, or a level no runtime makes */
		}
		if (kubepods_root(c)) {
			kube = true;
			continue;
		}
		if (strip(c, "docker-", ".scope", &id) && hex_id(id))
			return set(out, CTR_DOCKER, id);
		if (has_prefix(c, "libpod-conmon-"))
			break;
		if ((strip(c, "libpod-", ".scope", &id) || strip(c, "libpod-", "", &id)) &&
		    hex_id(id))
			return set(out, CTR_PODMAN, id);
		if (strip(c, "lxc.payload.", "", &id) && id.n) {
			set(out, CTR_LXC, id);
			copy(out->name, sizeof(out->name), id);
			return true;
		}
		if (is(c, "docker") || is(c, "lxc")) {
			const char *q = p;

			if (!next_comp(&q, &next))
				break;
			if (is(c, "docker") && hex_id(next))
				return set(out, CTR_DOCKER, next);
			if (is(c, "lxc")) {
				set(out, CTR_LXC, next);
				copy(out->name, sizeof(out->name), next);
				return true;
			}
		}
		if (has_suffix(c, ".service") && c.n > strlen(".service"))
			unit = c;
	}
	memset(out, 0, sizeof(*out));
	if (!unit.n)
		return false;
	set(out, CTR_SYSTEMD, unit);
	copy(out->name, sizeof(out->name), unit);
	return true;
}

int container_rank(const struct container *c)
{
	if (!c || c->runtime == CTR_NONE)
		return 0;
	return c->runtime == CTR_SYSTEMD ? 1 : 2;
}

static bool hex_runtime(const struct container *c)
{
	return c->runtime != CTR_SYSTEMD && c->runtime != CTR_LXC && c->runtime != CTR_NONE;
}

void container_short_id(const struct container *c, char *buf, size_t n)
{
	snprintf(buf, n, "%.*s", hex_runtime(c) ? CONTAINER_SHORT_ID : (int)sizeof(c->id), c->id);
}

void container_label(struct strbuf *sb, const struct container *c, enum ut_output out)
{
	char shrt[sizeof(c->id)];

	if (!c || c->runtime == CTR_NONE)
		return;
	sb_puts(sb, container_runtime_name(c->runtime));
	sb_putc(sb, ':');
	container_short_id(c, shrt, sizeof(shrt));
	/* A systemd unit's or an lxc container's name is its id. */
	ut_append(sb, c->name[0] && hex_runtime(c) ? c->name : shrt, sizeof(shrt), out);
}

void container_json(struct jsonw *w, const char *key, const struct container *c)
{
	char shrt[sizeof(c->id)];

	if (!c || c->runtime == CTR_NONE)
		return;
	container_short_id(c, shrt, sizeof(shrt));
	jw_kobj(w, key);
	jw_kstr(w, "runtime", container_runtime_name(c->runtime));
	jw_kstrn(w, "id", c->id, sizeof(c->id));
	jw_kstrn(w, "short_id", shrt, sizeof(shrt));
	if (c->name[0])
		jw_kstrn(w, "name", c->name, sizeof(c->name));
	if (c->pod_uid[0])
		jw_kstr(w, "pod_uid", c->pod_uid);
	jw_obj_end(w);
}

bool container_from_json(const json_t *obj, const char *key, struct container *out)
{
	const json_t *o = json_object_get(obj, key);
	const char *rt = jr_str(o, "runtime");

	memset(out, 0, sizeof(*out));
	for (int r = CTR_NONE + 1; rt && r < CTR__COUNT; r++)
		if (!strcmp(rt, runtime_names[r]))
			out->runtime = r;
	if (out->runtime == CTR_NONE || !jr_strcpy(o, "id", out->id, sizeof(out->id))) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	jr_strcpy(o, "pod_uid", out->pod_uid, sizeof(out->pod_uid));
	jr_strcpy(o, "name", out->name, sizeof(out->name));
	return true;
}

bool container_matches(const struct container *c, const char *sel)
{
	size_t n = sel ? strlen(sel) : 0;

	if (!c || c->runtime == CTR_NONE || !n)
		return false;
	if (!strcmp(c->id, sel) || (c->name[0] && !strcmp(c->name, sel)) ||
	    (c->pod_uid[0] && !strcmp(c->pod_uid, sel)))
		return true;
	/* docker's habit: any unambiguous prefix of a hex id, from 4 digits. */
	return hex_runtime(c) && n >= 4 && n <= strlen(c->id) && !strncmp(c->id, sel, n);
}
