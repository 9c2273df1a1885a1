/* bundle_scan.c — the manifest of a plain folder, with the checks sp_bundle_open makes.
 * Walks with openat/fdopendir and never follows a symlink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundles/bundle_internal.h"
#include "engine/base/banned.h"

struct scan {
	struct sp_bundle *b;
	const struct sp_bundle_limits *lim;
	const char *file;
	struct sp_diags *d;
	uint64_t count, total;
	bool fatal;
	int err;
};

static void scan_diag(struct scan *s, const char *code, const char *path, const char *hint,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void scan_diag(struct scan *s, const char *code, const char *path, const char *hint,
		      const char *fmt, ...)
{
	va_list ap;
	struct sp_loc loc = { s->file, 0, 0, path };
	va_start(ap, fmt);
	sp_diag_vadd(s->d, SP_SEV_ERROR, code, loc, hint, fmt, ap);
	va_end(ap);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void keep_file(struct scan *s, int dirfd, const char *name, size_t idx)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[16384];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		bm_keep(s->b, idx, buf, (size_t)n);
	close(fd);
}

static void walk(struct scan *s, int dirfd, const char *prefix)
{
	DIR *dir = fdopendir(dirfd);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct sp_buf path = SP_BUF_INIT(0), norm = SP_BUF_INIT(0);
	if (!dir) {
		s->err = errno;
		close(dirfd);
		s->fatal = true;
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!*prefix && (strcmp(de->d_name, ".git") == 0 ||
				 strcmp(de->d_name, ".elasticbeanstalk") == 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn)
				goto nomem;
			names = nn;
		}
		if (!(names[n] = sp_strdup(de->d_name)))
			goto nomem;
		n++;
	}
	if (n > 1) /* qsort of a NULL array is undefined even for n == 0 */
		qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n && !s->fatal; i++) {
		struct stat st;
		sp_buf_reset(&path);
		if (*prefix) {
			sp_buf_puts(&path, prefix);
			sp_buf_putc(&path, '/');
		}
		sp_buf_puts(&path, names[i]);
		const char *p = sp_buf_cstr(&path);
		if (++s->count > s->lim->max_entries) {
			scan_diag(s, "BUNDLE_TOO_MANY_ENTRIES", "",
				  "bundle fewer files, or raise MAX_BUNDLE_ENTRIES (--max-entries)",
				  "folder holds more than %llu entries",
				  (unsigned long long)s->lim->max_entries);
			s->fatal = true;
			break;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* vanished */
		int bad = bm_check_name(p, s->lim, s->file, s->d, &norm);
		if (bad < 0)
			goto nomem;
		if (bad)
			continue;
		size_t idx;
		if (S_ISDIR(st.st_mode)) {
			if (bm_add(s->b, p, SP_BUNDLE_DIR, st.st_mode, NULL, s->file, s->d, &idx) ==
			    SP_ENOMEM)
				goto nomem;
			int sub = openat(dirfd, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk(s, sub, p);
		} else if (S_ISREG(st.st_mode)) {
			if (bm_add(s->b, p, SP_BUNDLE_FILE, st.st_mode, NULL, s->file, s->d, &idx) ==
			    SP_ENOMEM)
				goto nomem;
			bm_get(s->b, idx)->pub.size = (uint64_t)st.st_size;
			s->total += (uint64_t)st.st_size;
			if (s->total > s->lim->max_uncompressed) {
				scan_diag(s, "BUNDLE_TOO_LARGE", p,
					  "leave out dependencies and build output (see .ebignore), "
					  "or raise MAX_BUNDLE_UNCOMPRESSED (--max-size)",
					  "folder holds more than %llu bytes (reached at \"%s\")",
					  (unsigned long long)s->lim->max_uncompressed, p);
				s->fatal = true;
			}
			if (bm_is_kept_path(p))
				keep_file(s, dirfd, names[i], idx);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t tl = readlinkat(dirfd, names[i], target, sizeof(target) - 1);
			if (tl < 0)
				continue;
			target[tl] = '\0';
			if (bm_add(s->b, p, SP_BUNDLE_SYMLINK, 0777, target, s->file, s->d, &idx) ==
			    SP_ENOMEM)
				goto nomem;
		} else {
			scan_diag(s, "BUNDLE_SPECIAL_FILE", p,
				  "bundles hold only files, folders and links; remove it",
				  "\"%s\" is a device, FIFO or socket", p);
		}
	}
	goto out;
nomem:
	s->fatal = true;
	s->err = ENOMEM;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	sp_buf_free(&path);
	sp_buf_free(&norm);
}

int sp_bundle_scan_dir(const char *dir, const struct sp_bundle_limits *lim,
		       struct sp_diags *d, struct sp_bundle **out)
{
	struct sp_bundle_limits deflim = SP_BUNDLE_LIMITS_DEFAULT;
	struct scan s = { 0 };
	size_t errors_before = sp_diags_errors(d);
	int ret = SP_ERROR;
	s.lim = lim ? lim : &deflim;
	s.file = dir;
	s.d = d;
	s.b = bm_new("dir");
	if (!s.b)
		return SP_ENOMEM;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		struct sp_loc loc = { dir, 0, 0, "" };
		int e = errno;
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_IO", loc, NULL, "cannot read folder %s: %s",
			    dir, strerror(e));
		ret = SP_EIO;
		goto out;
	}
	walk(&s, fd, "");
	if (s.err == ENOMEM) {
		ret = SP_ENOMEM;
		goto out;
	}
	if (s.fatal)
		goto out;
	bm_check_links(s.b, dir, d); /* even after errors: report every problem at once */
	if (sp_diags_errors(d) > errors_before)
		goto out;
	s.b->uncompressed_size = s.total;
	if (bm_finish(s.b) != 0) {
		ret = SP_ENOMEM;
		goto out;
	}
	sp_bundle_check_layout(s.b, dir, d);
	*out = s.b;
	s.b = NULL;
	ret = 0;
out:
	sp_bundle_free(s.b);
	return ret;
}
