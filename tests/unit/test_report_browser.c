// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The HTML report in a real browser: Debian's headless Chromium renders it to a
 * screenshot whose pixels hold the plots' colours, its DOM has the SVG charts
 * with drawn paths, and the console has no error. The test starts Chromium and
 * stops it (its whole process group) itself, also when an assertion fails;
 * without Chromium it is skipped and says why.
 */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "report_checks.h"

#define CHROMIUM_TIMEOUT_S 90
#define WIN_W 1100
#define WIN_H 1600
#define WIN_SIZE "1100,1600"

static const char *chromium_path(void)
{
	static const char *const paths[] = { "/usr/bin/chromium", "/usr/bin/chromium-browser" };
	const char *env = getenv("VMATRACE_CHROMIUM");

	if (env && *env)
		return access(env, X_OK) ? NULL : env;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

/* The Chromium being run, for the fini hook to stop when an assertion ends the test. */
static pid_t browser_pgid;

static void stop_browser(void)
{
	if (browser_pgid > 0) {
		kill(-browser_pgid, SIGKILL);
		while (waitpid(-browser_pgid, NULL, 0) > 0)
			;
	}
	browser_pgid = 0;
}

/*
 * Chromium headless on file://page with extra (one argument, or NULL); its stdout and
 * stderr into files in dir. Its own process group, killed at the end whatever happened
 * (renderer and zygote children included), and a deadline. Returns its exit status.
 */
static int run_browser(const char *dir, const char *page, const char *action, const char *out,
		       const char *err)
{
	char url[600], profile[300], crash[300];
	const char *argv[24];
	int argc = 0, st = -1;
	pid_t pid;

	snprintf(url, sizeof(url), "file://%s", page);
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile", dir);
	snprintf(crash, sizeof(crash), "--crash-dumps-dir=%s/crash", dir);
	argv[argc++] = chromium_path();
	argv[argc++] = "--headless";
	argv[argc++] = "--no-sandbox"; /* the tests run as root */
	argv[argc++] = "--disable-gpu";
	argv[argc++] = "--no-first-run";
	argv[argc++] = "--no-default-browser-check";
	argv[argc++] = "--disable-extensions";
	argv[argc++] = "--disable-background-networking";
	argv[argc++] = "--hide-scrollbars";
	argv[argc++] = profile;
	argv[argc++] = crash;
	argv[argc++] = "--enable-logging=stderr";
	argv[argc++] = "--v=0";
	argv[argc++] = "--window-size=" WIN_SIZE;
	argv[argc++] = action;
	argv[argc++] = url;
	argv[argc] = NULL;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	setpgid(pid, pid);
	browser_pgid = pid;
	for (int i = 0; i < CHROMIUM_TIMEOUT_S * 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		usleep(100000);
		st = -1;
	}
	stop_browser();
	cr_assert_neq(st, -1, "chromium did not finish within %d s", CHROMIUM_TIMEOUT_S);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The browser's console errors in its log: one message per line, or an empty string. */
static char *console_errors(const char *log)
{
	struct strbuf sb;
	const char *p = log;

	sb_init(&sb);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		/* Chromium logs the page's console as "...:CONSOLE..."; its level is in the line. */
		if (memmem(p, len, "CONSOLE", 7) && !memmem(p, len, "vmatrace-check", 14)) {
			sb_putn(&sb, p, len);
			sb_putc(&sb, '\n');
		}
		p = nl ? nl + 1 : NULL;
	}
	return sb.buf ? sb.buf : strdup("");
}

/* ---- the screenshot's pixels ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

struct image {
	uint32_t w, h, bpp; /* bytes per pixel: 3 (RGB) or 4 (RGBA) */
	unsigned char *px;  /* rows of w * bpp bytes */
};

/* An 8-bit RGB(A), non-interlaced PNG (what Chromium writes), unfiltered into pixels. */
static void png_decode(const char *path, struct image *im)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char *file, *idat = NULL, *raw;
	size_t nidat = 0, stride;
	uLongf rawlen;
	long n;
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(f, "no screenshot at %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	file = malloc(n);
	cr_assert_eq(fread(file, 1, n, f), (size_t)n);
	fclose(f);
	cr_assert(n > 33 && !memcmp(file, sig, 8), "%s is not a PNG", path);
	memset(im, 0, sizeof(*im));
	for (long off = 8; off + 12 <= n;) {
		uint32_t len = be32(file + off);
		const unsigned char *type = file + off + 4, *data = file + off + 8;

		cr_assert_leq(off + 12 + (long)len, n, "truncated PNG chunk");
		if (!memcmp(type, "IHDR", 4)) {
			im->w = be32(data);
			im->h = be32(data + 4);
			cr_assert_eq(data[8], 8, "bit depth %d", data[8]);
			cr_assert(data[9] == 2 || data[9] == 6, "colour type %d", data[9]);
			cr_assert_eq(data[12], 0, "interlaced");
			im->bpp = data[9] == 6 ? 4 : 3;
		} else if (!memcmp(type, "IDAT", 4)) {
			idat = realloc(idat, nidat + len);
			memcpy(idat + nidat, data, len);
			nidat += len;
		}
		off += 12 + len;
	}
	cr_assert(im->w && im->h && nidat);
	stride = (size_t)im->w * im->bpp;
	rawlen = (stride + 1) * im->h;
	raw = malloc(rawlen);
	cr_assert_eq(uncompress(raw, &rawlen, idat, nidat), Z_OK);
	cr_assert_eq(rawlen, (stride + 1) * im->h);
	im->px = malloc(stride * im->h);
	for (uint32_t y = 0; y < im->h; y++) {
		const unsigned char *in = raw + y * (stride + 1) + 1;
		unsigned char *row = im->px + y * stride, *up = y ? row - stride : NULL;
		int filter = in[-1];

		for (size_t x = 0; x < stride; x++) {
			int a = x >= im->bpp ? row[x - im->bpp] : 0, b = up ? up[x] : 0;
			int c = up && x >= im->bpp ? up[x - im->bpp] : 0, v = in[x];

			switch (filter) {
			case 1:
				v += a;
				break;
			case 2:
				v += b;
				break;
			case 3:
				v += (a + b) / 2;
				break;
			case 4:
				v += paeth(a, b, c);
				break;
			default:
				cr_assert_eq(filter, 0, "PNG filter %d", filter);
			}
			row[x] = (unsigned char)v;
		}
	}
	free(raw);
	free(idat);
	free(file);
}

/* Pixels of colour #rrggbb, give or take what anti-aliasing blends in (tol per channel). */
static size_t pixels_of(const struct image *im, uint32_t rgb, int tol)
{
	size_t n = 0;

	for (size_t i = 0; i < (size_t)im->w * im->h; i++) {
		const unsigned char *p = im->px + i * im->bpp;

		n += abs(p[0] - (int)(rgb >> 16 & 0xff)) <= tol &&
		     abs(p[1] - (int)(rgb >> 8 & 0xff)) <= tol &&
		     abs(p[2] - (int)(rgb & 0xff)) <= tol;
	}
	return n;
}

/* ---- the test ---- */

struct browser_fx {
	char dir[64];
	struct fx journal;
};

static struct browser_fx bfx;

static void setup_dir(void)
{
	snprintf(bfx.dir, sizeof(bfx.dir), "/tmp/vmatrace-browser-XXXXXX");
	cr_assert_not_null(mkdtemp(bfx.dir));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void teardown(void)
{
	stop_browser();
	/* Chromium's profile is a deep tree: depth first, links not followed. */
	if (bfx.dir[0])
		nftw(bfx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (bfx.journal.dir[0])
		fx_rm(&bfx.journal);
	memset(&bfx, 0, sizeof(bfx));
}

static void write_file(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %m", path);
	fputs(a, f);
	if (b)
		fputs(b, f);
	cr_assert_eq(fclose(f), 0);
}

/*
 * Appended to a copy of the report: what the browser made of it, as an attribute of
 * <body> (--dump-dom shows it) and a console line. getBBox() measures each path as the
 * browser parsed its data: a path it could not read has none.
 */
static const char probe_script[] =
	"<script>\n"
	"const svgs = document.querySelectorAll('svg');\n"
	"let drawn = 0, paths = document.querySelectorAll('svg path');\n"
	"for (const p of paths) { const b = p.getBBox(); if (b.width > 0 || b.height > 0) "
	"drawn++; }\n"
	"const w = svgs.length ? Math.round(svgs[0].getBoundingClientRect().width) : 0;\n"
	"const r = 'svgs=' + svgs.length + ' paths=' + paths.length + ' drawn=' + drawn +\n"
	"  ' thresholds=' + document.querySelectorAll('path.threshold').length +\n"
	"  ' census=' + document.querySelectorAll('svg.census-bar rect').length + ' width=' + w;\n"
	"document.body.setAttribute('data-check', r);\n"
	"console.log('vmatrace-check ' + r);\n"
	"</script>\n";

/* A number of the probe's result ("svgs=2 paths=40 ..."), from the dumped DOM. */
static int probe_value(const char *dom, const char *key)
{
	const char *p = strstr(dom, "data-check=\"");
	char buf[256], needle[32];
	size_t n;

	cr_assert_not_null(p, "the page's script did not run:\n%.2000s", dom);
	p += strlen("data-check=\"");
	n = strcspn(p, "\"");
	snprintf(buf, sizeof(buf), " %.*s", (int)(n < 200 ? n : 200), p);
	snprintf(needle, sizeof(needle), " %s=", key);
	p = strstr(buf, needle);
	cr_assert_not_null(p, "no %s in the probe's result '%s'", key, buf);
	return atoi(p + strlen(needle));
}

Test(report_browser, chromium_renders_the_html_report, .init = setup_dir, .fini = teardown,
     .timeout = 300)
{
	char html[128], probe[128], bad[128], png[128], out[128], err[128];
	char *report, *dom, *log, *errors;
	struct image im;
	size_t blue, violet;
	int rc, svgs, paths;

	if (!chromium_path())
		cr_skip_test("chromium is not installed (scripts/setup.sh installs it): the HTML "
			     "report was not checked in a browser");
	setenv("TZ", "UTC", 1);
	tzset();
	fx_open(&bfx.journal);
	fx_example(&bfx.journal);
	fx_close(&bfx.journal);
	report = run_ok(bfx.journal.dir, "--format", "html", NULL);
	cr_assert_null(strstr(report, "<script"), "the report itself has no script");
	svgs = count(report, "<svg ");
	paths = count(report, "<path ");
	cr_assert_geq(svgs, 2, "the timelines and at least mysqld's census");
	snprintf(html, sizeof(html), "%s/report.html", bfx.dir);
	snprintf(probe, sizeof(probe), "%s/probe.html", bfx.dir);
	snprintf(bad, sizeof(bad), "%s/bad.html", bfx.dir);
	snprintf(png, sizeof(png), "%s/shot.png", bfx.dir);
	snprintf(out, sizeof(out), "%s/out.txt", bfx.dir);
	snprintf(err, sizeof(err), "%s/err.txt", bfx.dir);
	write_file(html, report, NULL);
	{
		/* the probe goes before </body> */
		char *end = strstr(report, "</body>");

		cr_assert_not_null(end);
		*end = 0;
		write_file(probe, report, probe_script);
	}
	free(report);

	/* The page itself, as a person sees it. */
	{
		char shot[200];

		snprintf(shot, sizeof(shot), "--screenshot=%s", png);
		rc = run_browser(bfx.dir, html, shot, out, err);
	}
	cr_assert_eq(rc, 0, "chromium --screenshot exited %d:\n%s", rc, slurp(err));
	png_decode(png, &im);
	cr_assert_eq(im.w, WIN_W);
	cr_assert_eq(im.h, WIN_H);
	/* The first panel in view: mysqld's VMA count (#2563eb) and mapped bytes (#7c3aed). */
	blue = pixels_of(&im, 0x2563eb, 16);
	violet = pixels_of(&im, 0x7c3aed, 16);
	cr_assert_gt(blue, 1000, "%zu pixels of the VMA line's blue", blue);
	cr_assert_gt(violet, 500, "%zu pixels of the mapped line's violet", violet);
	cr_assert_gt(pixels_of(&im, 0xffffff, 0), (size_t)WIN_W * WIN_H / 3, "a white page");
	free(im.px);

	/* What the browser built of it: the charts, every path drawn, no console error. */
	rc = run_browser(bfx.dir, probe, "--dump-dom", out, err);
	dom = slurp(out);
	log = slurp(err);
	cr_assert_eq(rc, 0, "chromium --dump-dom exited %d:\n%s", rc, log);
	cr_assert_not_null(dom);
	cr_assert(strstr(log, "vmatrace-check"), "the console shows no line of the page:\n%s", log);
	errors = console_errors(log);
	cr_assert_str_empty(errors, "console errors:\n%s", errors);
	{
		const char *dc = strstr(dom, "data-check");

		fprintf(stderr, "chromium: %zu/%zu pixels of the VMA/mapped lines; %.*s\"\n", blue,
			violet, dc ? (int)strcspn(dc + 12, "\"") + 12 : 0, dc ? dc : "");
	}
	free(errors);
	/* Every chart and path of the report became an element (nothing swallowed)... */
	cr_assert_eq(probe_value(dom, "svgs"), svgs);
	cr_assert_eq(probe_value(dom, "paths"), paths);
	cr_assert_gt(paths, 40);
	/* ... and the browser could read and draw every path's data. */
	cr_assert_eq(probe_value(dom, "drawn"), paths, "paths the browser could not draw");
	/* mysqld's panel reaches the limit: its three default thresholds are drawn. */
	cr_assert_eq(probe_value(dom, "thresholds"), 3);
	cr_assert_gt(probe_value(dom, "census"), 3);
	cr_assert_gt(probe_value(dom, "width"), 900);
	cr_assert(strstr(dom, "<path class=\"threshold\""));
	free(dom);
	free(log);

	/* The checks can fail: a page with a console error and a path the browser cannot read. */
	write_file(bad,
		   "<!DOCTYPE html><html><body><svg width=\"100\" height=\"100\">"
		   "<path d=\"M0 0 L x\"/></svg><script>console.error('broken on purpose');"
		   "</script>",
		   probe_script);
	rc = run_browser(bfx.dir, bad, "--dump-dom", out, err);
	cr_assert_eq(rc, 0);
	log = slurp(err);
	dom = slurp(out);
	errors = console_errors(log);
	cr_assert(strstr(errors, "broken on purpose"), "console errors not seen:\n%s", log);
	cr_assert(strstr(errors, "attribute d"), "the unreadable path not seen:\n%s", log);
	cr_assert_eq(probe_value(dom, "drawn"), 0, "an unreadable path counted as drawn");
	free(errors);
	free(log);
	free(dom);
}
