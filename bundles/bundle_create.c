/* bundle_create.c — building a zip bundle from a folder the way the EB CLI does
 * (.ebignore, else `git archive`, else the whole folder), reproducibly.
 *
 * Reproducible means: no timestamps (libarchive writes the DOS minimum, 1980-01-01, and
 * an empty "UT" field when no mtime is set, whatever the time zone), owner 0, modes
 * 0644/0755, and entries in git's tree order, so the three ways give the same bytes for
 * the same files. Folders without files are left out, as git has none.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundles/bundle_internal.h"
#include "bundles/ignore.h"
#include "engine/base/banned.h"

extern char **environ;

#define MAX_EBIGNORE_FILE ((size_t)1 << 20)
#define MAX_GIT_OUTPUT ((size_t)64 << 10)

const char *sp_bundle_source_name(enum sp_bundle_source s)
{
	switch (s) {
	case SP_BUNDLE_SRC_EBIGNORE: return ".ebignore";
	case SP_BUNDLE_SRC_GIT_HEAD: return "git HEAD";
	case SP_BUNDLE_SRC_GIT_INDEX: return "git index";
	case SP_BUNDLE_SRC_DIR: return "folder";
	}
	return "?";
}

static void cdiag(struct sp_diags *d, enum sp_severity sev, const char *code, const char *file,
		  const char *path, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static void cdiag(struct sp_diags *d, enum sp_severity sev, const char *code, const char *file,
		  const char *path, const char *hint, const char *fmt, ...)
{
	va_list ap;
	struct sp_loc loc = { file, 0, 0, path ? path : "" };
	va_start(ap, fmt);
	sp_diag_vadd(d, sev, code, loc, hint, fmt, ap);
	va_end(ap);
}

/* ---- running git ---- */

/* Runs git with argv in dir; stdout into *out_fd (a pipe; caller reads and closes) or,
 * when out_fd is NULL, into out (capped). stderr goes to errfd (or /dev/null). */
static int git_spawn(const char *dir, const char *const *args, int *out_fd, int errfd,
		     pid_t *pid)
{
	const char *argv[16];
	size_t n = 0;
	argv[n++] = "git";
	argv[n++] = "-C";
	argv[n++] = dir;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return SP_EIO;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (errfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	int rc = posix_spawnp(pid, "git", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		errno = rc;
		return SP_EIO;
	}
	*out_fd = p[0];
	return 0;
}

static int git_wait(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Runs git and captures its stdout (trimmed); 0 when git exited 0. */
static int git_capture(const char *dir, const char *const *args, struct sp_buf *out)
{
	int fd;
	pid_t pid;
	if (git_spawn(dir, args, &fd, -1, &pid) != 0)
		return SP_EIO;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			sp_buf_append(out, buf, (size_t)n);
	close(fd);
	int st = git_wait(pid);
	while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
		out->data[--out->len] = '\0';
	return st == 0 ? 0 : SP_ERROR;
}

static bool file_exists_in(const char *dir, const char *name)
{
	struct stat st;
	char *p = sp_aprintf("%s/%s", dir, name);
	bool ok = p && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return ok;
}

int sp_bundle_source_for(const char *dir, bool staged, enum sp_bundle_source *out)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		if (errno == 0)
			errno = ENOTDIR;
		return SP_EIO;
	}
	if (file_exists_in(dir, ".ebignore")) {
		*out = SP_BUNDLE_SRC_EBIGNORE;
		return 0;
	}
	struct sp_buf o = SP_BUF_INIT(MAX_GIT_OUTPUT);
	static const char *const args[] = { "rev-parse", "--is-inside-work-tree", NULL };
	bool git = git_capture(dir, args, &o) == 0 && strcmp(sp_buf_cstr(&o), "true") == 0;
	sp_buf_free(&o);
	*out = git ? (staged ? SP_BUNDLE_SRC_GIT_INDEX : SP_BUNDLE_SRC_GIT_HEAD)
		   : SP_BUNDLE_SRC_DIR;
	return 0;
}

/* ---- the zip writer ---- */

struct zw {
	struct archive *a;
	const char *file; /* display name for diagnostics (the folder) */
	struct sp_diags *d;
	const struct sp_bundle_limits *lim;
	uint64_t count, total;
	bool failed;
	char *buf;
};

static bool zw_account(struct zw *w, const char *path, uint64_t size)
{
	if (++w->count > w->lim->max_entries) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_TOO_MANY_ENTRIES", w->file, "",
		      "leave out dependencies and build output (.ebignore), or raise "
		      "MAX_BUNDLE_ENTRIES (--max-entries)",
		      "more than %llu entries to bundle", (unsigned long long)w->lim->max_entries);
		return false;
	}
	w->total += size;
	if (w->total > w->lim->max_uncompressed) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_TOO_LARGE", w->file, path,
		      "leave out dependencies and build output (.ebignore), or raise "
		      "MAX_BUNDLE_UNCOMPRESSED (--max-size)",
		      "more than %llu bytes to bundle (reached at \"%s\")",
		      (unsigned long long)w->lim->max_uncompressed, path);
		return false;
	}
	return true;
}

/* Writes one entry's header; the caller writes the data of files. */
static int zw_header(struct zw *w, const char *path, enum sp_bundle_entry_type type,
		     unsigned mode, uint64_t size, const char *target)
{
	struct archive_entry *e = archive_entry_new2(w->a);
	if (!e)
		return SP_ENOMEM;
	archive_entry_set_pathname(e, path);
	switch (type) {
	case SP_BUNDLE_DIR:
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
		break;
	case SP_BUNDLE_SYMLINK:
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, target);
		break;
	default:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, (mode & 0111) ? 0755 : 0644);
		archive_entry_set_size(e, (la_int64_t)size);
		break;
	}
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	int rc = archive_write_header(w->a, e);
	archive_entry_free(e);
	if (rc != ARCHIVE_OK) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_IO", w->file, path, NULL,
		      "cannot add \"%s\" to the zip: %s", path, archive_error_string(w->a));
		return SP_EIO;
	}
	return 0;
}

static int zw_data(struct zw *w, const void *p, size_t n, const char *path)
{
	if (archive_write_data(w->a, p, n) != (la_ssize_t)n) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_IO", w->file, path, NULL,
		      "cannot write \"%s\" into the zip: %s", path, archive_error_string(w->a));
		return SP_EIO;
	}
	return 0;
}

/* ---- the folder walker (.ebignore and plain folders) ---- */

struct witem {
	char *path;
	enum sp_bundle_entry_type type;
	unsigned mode;
	uint64_t size;
	char *target;
};

struct walker {
	const char *root;
	struct sp_ignore *ig; /* NULL: none */
	dev_t skip_dev;
	ino_t skip_ino[2];
	struct witem *items;
	size_t n, cap;
	struct zw *w;
	bool failed;
};

struct child {
	char *name;
	char *key; /* name, plus "/" for folders: git's order */
	struct stat st;
};

static int cmp_child(const void *a, const void *b)
{
	return strcmp(((const struct child *)a)->key, ((const struct child *)b)->key);
}

static int push_item(struct walker *wk, const char *path, enum sp_bundle_entry_type t,
		     unsigned mode, uint64_t size, const char *target)
{
	if (wk->n == wk->cap) {
		size_t cap = wk->cap ? wk->cap * 2 : 256;
		struct witem *ni = realloc(wk->items, cap * sizeof(*ni));
		if (!ni)
			return SP_ENOMEM;
		wk->items = ni;
		wk->cap = cap;
	}
	struct witem *it = &wk->items[wk->n];
	it->path = sp_strdup(path);
	it->target = target ? sp_strdup(target) : NULL;
	if (!it->path || (target && !it->target)) {
		free(it->path);
		free(it->target);
		return SP_ENOMEM;
	}
	it->type = t;
	it->mode = mode;
	it->size = size;
	wk->n++;
	return 0;
}

static void walk_dir(struct walker *wk, int dirfd, const char *prefix, size_t depth)
{
	DIR *dir = fdopendir(dirfd);
	struct child *kids = NULL;
	size_t n = 0, cap = 0;
	struct sp_buf path = SP_BUF_INIT(0), norm = SP_BUF_INIT(0);
	if (!dir) {
		close(dirfd);
		wk->failed = true;
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir))) {
		const char *nm = de->d_name;
		size_t nl = strlen(nm);
		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || nm[nl - 1] == '~')
			continue;
		if (!*prefix && (strcmp(nm, ".ebignore") == 0 || strcmp(nm, ".git") == 0 ||
				 strcmp(nm, ".elasticbeanstalk") == 0))
			continue;
		struct stat st;
		if (fstatat(dirfd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (st.st_dev == wk->skip_dev &&
		    (st.st_ino == wk->skip_ino[0] || st.st_ino == wk->skip_ino[1]))
			continue; /* the zip being written, or the one it replaces */
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			struct child *nk = realloc(kids, cap * sizeof(*nk));
			if (!nk)
				goto nomem;
			kids = nk;
		}
		kids[n].name = sp_strdup(nm);
		kids[n].key = sp_aprintf("%s%s", nm, S_ISDIR(st.st_mode) ? "/" : "");
		kids[n].st = st;
		if (!kids[n].name || !kids[n].key) {
			free(kids[n].name);
			free(kids[n].key);
			goto nomem;
		}
		n++;
	}
	qsort(kids, n, sizeof(*kids), cmp_child);
	for (size_t i = 0; i < n && !wk->failed; i++) {
		struct child *k = &kids[i];
		sp_buf_reset(&path);
		if (*prefix) {
			sp_buf_puts(&path, prefix);
			sp_buf_putc(&path, '/');
		}
		sp_buf_puts(&path, k->name);
		const char *p = sp_buf_cstr(&path);
		bool is_dir = S_ISDIR(k->st.st_mode);
		if (wk->ig && sp_ignore_match(wk->ig, p, is_dir))
			continue;
		int bad = bm_check_name(p, wk->w->lim, wk->w->file, wk->w->d, &norm);
		if (bad < 0)
			goto nomem;
		if (bad) {
			wk->failed = true;
			break;
		}
		if (is_dir) {
			if (push_item(wk, p, SP_BUNDLE_DIR, 0755, 0, NULL) != 0)
				goto nomem;
			int sub = openat(dirfd, k->name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				cdiag(wk->w->d, SP_SEV_ERROR, "BUNDLE_IO", wk->w->file, p, NULL,
				      "cannot read folder \"%s\": %s", p, strerror(errno));
				wk->failed = true;
				break;
			}
			walk_dir(wk, sub, p, depth + 1);
		} else if (S_ISREG(k->st.st_mode)) {
			if (!zw_account(wk->w, p, (uint64_t)k->st.st_size)) {
				wk->failed = true;
				break;
			}
			if (push_item(wk, p, SP_BUNDLE_FILE, k->st.st_mode & 0777,
				      (uint64_t)k->st.st_size, NULL) != 0)
				goto nomem;
		} else if (S_ISLNK(k->st.st_mode)) {
			char target[4096];
			ssize_t tl = readlinkat(dirfd, k->name, target, sizeof(target) - 1);
			if (tl < 0)
				continue;
			target[tl] = '\0';
			if (!zw_account(wk->w, p, 0) ||
			    push_item(wk, p, SP_BUNDLE_SYMLINK, 0777, 0, target) != 0) {
				wk->failed = true;
				break;
			}
		} else {
			cdiag(wk->w->d, SP_SEV_WARNING, "BUNDLE_SPECIAL_FILE", wk->w->file, p,
			      "bundles hold only files, folders and links; add it to .ebignore",
			      "\"%s\" is a device, FIFO or socket; left out", p);
		}
	}
	goto out;
nomem:
	wk->failed = true;
out:
	for (size_t i = 0; i < n; i++) {
		free(kids[i].name);
		free(kids[i].key);
	}
	free(kids);
	closedir(dir);
	sp_buf_free(&path);
	sp_buf_free(&norm);
}

static int copy_file(struct zw *w, const char *root, const struct witem *it)
{
	char *full = sp_aprintf("%s/%s", root, it->path);
	int fd = full ? open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	free(full);
	if (fd < 0) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_IO", w->file, it->path, NULL,
		      "cannot read \"%s\": %s", it->path, strerror(errno));
		return SP_EIO;
	}
	uint64_t left = it->size;
	int rc = 0;
	while (left > 0) {
		size_t want = left < ((size_t)64 << 10) ? (size_t)left : ((size_t)64 << 10);
		ssize_t n = read(fd, w->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cdiag(w->d, SP_SEV_ERROR, "BUNDLE_IO", w->file, it->path,
			      "run the command again once nothing writes to the folder",
			      "\"%s\" changed while it was being bundled", it->path);
			rc = SP_EIO;
			break;
		}
		if ((rc = zw_data(w, w->buf, (size_t)n, it->path)) != 0)
			break;
		left -= (uint64_t)n;
	}
	close(fd);
	return rc;
}

static int create_from_walk(const char *dir, struct sp_ignore *ig, struct zw *w,
			    const struct stat *skip1, const struct stat *skip2)
{
	struct walker wk = { 0 };
	int rc = SP_ERROR;
	wk.root = dir;
	wk.ig = ig;
	wk.w = w;
	wk.skip_dev = skip1->st_dev;
	wk.skip_ino[0] = skip1->st_ino;
	wk.skip_ino[1] = skip2 ? skip2->st_ino : skip1->st_ino;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_IO", dir, "", NULL, "cannot read folder %s: %s",
		      dir, strerror(errno));
		return SP_EIO;
	}
	walk_dir(&wk, fd, "", 0);
	if (wk.failed)
		goto out;
	for (size_t i = 0; i < wk.n; i++) {
		const struct witem *it = &wk.items[i];
		if (it->type == SP_BUNDLE_DIR) {
			/* git has no empty folders: keep a folder only when something follows
			 * inside it */
			size_t l = strlen(it->path);
			if (i + 1 >= wk.n || strncmp(wk.items[i + 1].path, it->path, l) != 0 ||
			    wk.items[i + 1].path[l] != '/')
				continue;
		}
		if (zw_header(w, it->path, it->type, it->mode, it->size, it->target) != 0)
			goto out;
		if (it->type == SP_BUNDLE_FILE && copy_file(w, dir, it) != 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < wk.n; i++) {
		free(wk.items[i].path);
		free(wk.items[i].target);
	}
	free(wk.items);
	return rc;
}

/* ---- git archive ---- */

static int create_from_git(const char *dir, bool staged, struct zw *w)
{
	struct sp_buf prefix = SP_BUF_INIT(MAX_GIT_OUTPUT), tree = SP_BUF_INIT(MAX_GIT_OUTPUT);
	struct sp_buf norm = SP_BUF_INIT(0);
	char *treeish = NULL;
	struct archive *in = NULL;
	FILE *errf = NULL;
	int fd = -1, rc = SP_ERROR;
	pid_t pid = -1;
	static const char *const a_prefix[] = { "rev-parse", "--show-prefix", NULL };
	static const char *const a_tree[] = { "write-tree", NULL };
	static const char *const a_top[] = { "rev-parse", "--show-toplevel", NULL };
	struct sp_buf top = SP_BUF_INIT(MAX_GIT_OUTPUT);

	if (git_capture(dir, a_prefix, &prefix) != 0) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_GIT_FAILED", w->file, "", NULL,
		      "git rev-parse --show-prefix failed in %s", dir);
		goto out;
	}
	/* git archive only looks below the folder it runs in: run it at the top */
	if (git_capture(dir, a_top, &top) != 0 || top.len == 0) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_GIT_FAILED", w->file, "", NULL,
		      "git rev-parse --show-toplevel failed in %s", dir);
		goto out;
	}
	if (prefix.len && prefix.data[prefix.len - 1] == '/')
		prefix.data[--prefix.len] = '\0';
	if (staged && git_capture(dir, a_tree, &tree) != 0) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_GIT_FAILED", w->file, "",
		      "resolve the conflicts in the index first (git status)",
		      "git write-tree failed: the index cannot be written as a tree");
		goto out;
	}
	treeish = sp_aprintf("%s%s%s", staged ? sp_buf_cstr(&tree) : "HEAD",
			     prefix.len ? ":" : "", sp_buf_cstr(&prefix));
	errf = tmpfile();
	if (!treeish || !errf) {
		rc = SP_ENOMEM;
		goto out;
	}
	const char *a_archive[] = { "archive", "--format=tar", treeish, NULL };
	if (git_spawn(sp_buf_cstr(&top), a_archive, &fd, fileno(errf), &pid) != 0) {
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_GIT_FAILED", w->file, "", NULL,
		      "cannot run git: %s", strerror(errno));
		goto out;
	}
	in = archive_read_new();
	if (!in) {
		rc = SP_ENOMEM;
		goto out;
	}
	archive_read_support_format_tar(in);
	bool failed = false;
	if (archive_read_open_fd(in, fd, 64 << 10) != ARCHIVE_OK) {
		failed = true; /* empty output: git failed; its message says why */
	} else {
		struct archive_entry *ae;
		int r;
		while (!failed && (r = archive_read_next_header(in, &ae)) != ARCHIVE_EOF) {
			if (r < ARCHIVE_WARN) {
				failed = true;
				break;
			}
			const char *raw = archive_entry_pathname(ae);
			int bad = raw ? bm_check_name(raw, w->lim, w->file, w->d, &norm) : 1;
			if (bad == 2)
				continue;
			if (bad) {
				rc = SP_ERROR;
				failed = true;
				break;
			}
			const char *p = sp_buf_cstr(&norm);
			mode_t ft = archive_entry_filetype(ae);
			enum sp_bundle_entry_type t = ft == AE_IFDIR   ? SP_BUNDLE_DIR
						    : ft == AE_IFLNK ? SP_BUNDLE_SYMLINK
								     : SP_BUNDLE_FILE;
			uint64_t size = t == SP_BUNDLE_FILE ? (uint64_t)archive_entry_size(ae) : 0;
			if (!zw_account(w, p, size) ||
			    zw_header(w, p, t, archive_entry_perm(ae), size,
				      archive_entry_symlink(ae)) != 0) {
				failed = true;
				break;
			}
			if (t != SP_BUNDLE_FILE)
				continue;
			const void *buf;
			size_t n;
			la_int64_t off;
			while ((r = archive_read_data_block(in, &buf, &n, &off)) == ARCHIVE_OK)
				if (zw_data(w, buf, n, p) != 0)
					break;
			if (r != ARCHIVE_EOF) {
				failed = true;
				break;
			}
		}
	}
	archive_read_free(in);
	in = NULL;
	close(fd);
	fd = -1;
	int st = git_wait(pid);
	pid = -1;
	if (st != 0) {
		char msg[512] = "";
		rewind(errf);
		if (!fgets(msg, sizeof(msg), errf))
			msg[0] = '\0';
		msg[strcspn(msg, "\r\n")] = '\0';
		cdiag(w->d, SP_SEV_ERROR, "BUNDLE_GIT_FAILED", w->file, "",
		      staged ? "stage some files first (git add)"
			     : "commit first, bundle the index with --staged, or add a .ebignore "
			       "to bundle the folder as it is",
		      "git archive %s failed: %s", treeish, msg[0] ? msg : "no output");
		goto out;
	}
	if (failed)
		goto out;
	rc = 0;
out:
	if (in)
		archive_read_free(in);
	if (fd >= 0)
		close(fd);
	if (pid > 0)
		git_wait(pid);
	if (errf)
		fclose(errf);
	free(treeish);
	sp_buf_free(&prefix);
	sp_buf_free(&tree);
	sp_buf_free(&top);
	sp_buf_free(&norm);
	return rc;
}

/* ---- the whole ---- */

int sp_bundle_create(const char *dir, const struct sp_bundle_create_opts *opts,
		     const char *out_path, struct sp_diags *d)
{
	struct sp_bundle_limits deflim = SP_BUNDLE_LIMITS_DEFAULT;
	struct zw w = { 0 };
	struct sp_ignore *ig = NULL;
	struct sp_buf igtext = SP_BUF_INIT(MAX_EBIGNORE_FILE);
	enum sp_bundle_source src;
	bool staged = opts && opts->staged;
	char *tmp = NULL;
	int fd = -1, rc = SP_ERROR;
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;

	w.lim = opts && opts->lim ? opts->lim : &deflim;
	w.file = dir;
	w.d = d;
	if (sp_bundle_source_for(dir, staged, &src) != 0) {
		cdiag(d, SP_SEV_ERROR, "BUNDLE_IO", dir, "", NULL, "cannot read folder %s: %s",
		      dir, strerror(errno));
		rc = SP_EIO;
		goto out;
	}
	if (staged && src == SP_BUNDLE_SRC_DIR) {
		cdiag(d, SP_SEV_ERROR, "BUNDLE_STAGED_NOT_GIT", dir, "",
		      "drop --staged, or run it inside a git work tree",
		      "--staged bundles the git index, but %s is not in a git work tree", dir);
		goto out;
	}
	if (staged && src == SP_BUNDLE_SRC_EBIGNORE)
		cdiag(d, SP_SEV_NOTE, "BUNDLE_STAGED_IGNORED", dir, ".ebignore",
		      "remove .ebignore to bundle the git index",
		      "--staged has no effect: .ebignore is present, so the folder is bundled "
		      "as it is");
	if (src == SP_BUNDLE_SRC_EBIGNORE) {
		char *p = sp_aprintf("%s/.ebignore", dir);
		int r = p ? sp_read_file(p, igtext.max, &igtext) : SP_ENOMEM;
		free(p);
		if (r == 0)
			r = sp_ignore_parse(igtext.data ? igtext.data : "", igtext.len, &ig);
		if (r != 0) {
			cdiag(d, SP_SEV_ERROR, "BUNDLE_IO", dir, ".ebignore", NULL,
			      "cannot read .ebignore: %s", sp_strerror(r));
			rc = r;
			goto out;
		}
	}
	tmp = sp_aprintf("%s.tmp-XXXXXX", out_path);
	if (!tmp || !(w.buf = malloc((size_t)64 << 10))) {
		rc = SP_ENOMEM;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		cdiag(d, SP_SEV_ERROR, "BUNDLE_IO", out_path, "", NULL, "cannot create %s: %s",
		      out_path, strerror(errno));
		rc = SP_EIO;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) != 0) {
		rc = SP_EIO;
		goto out;
	}
	w.a = archive_write_new();
	if (!w.a) {
		rc = SP_ENOMEM;
		goto out;
	}
	archive_write_set_format_zip(w.a);
	archive_write_zip_set_compression_deflate(w.a);
	archive_write_set_bytes_in_last_block(w.a, 1);
	if (archive_write_open_fd(w.a, fd) != ARCHIVE_OK) {
		rc = SP_EIO;
		goto out;
	}
	if (src == SP_BUNDLE_SRC_GIT_HEAD || src == SP_BUNDLE_SRC_GIT_INDEX) {
		rc = create_from_git(dir, staged, &w);
	} else {
		struct stat st_tmp, st_out;
		fstat(fd, &st_tmp);
		bool have_out = stat(out_path, &st_out) == 0 && st_out.st_dev == st_tmp.st_dev;
		rc = create_from_walk(dir, ig, &w, &st_tmp, have_out ? &st_out : NULL);
	}
	if (rc != 0)
		goto out;
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		cdiag(d, SP_SEV_ERROR, "BUNDLE_IO", out_path, "", NULL, "cannot write %s: %s",
		      out_path, archive_error_string(w.a));
		rc = SP_EIO;
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, out_path) != 0) {
		fd = -1;
		cdiag(d, SP_SEV_ERROR, "BUNDLE_IO", out_path, "", NULL, "cannot write %s: %s",
		      out_path, strerror(errno));
		rc = SP_EIO;
		goto out;
	}
	fd = -1;
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (w.a)
		archive_write_free(w.a);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(w.buf);
	sp_ignore_free(ig);
	sp_buf_free(&igtext);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return rc;
}
