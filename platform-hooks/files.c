/* files.c — writing `.ebextensions` `files` into an instance's root folder without ever
 * leaving it: every component is opened with O_NOFOLLOW from the root down, so a symlink
 * planted by a hook (or by anything else) is refused rather than followed. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/base64.h"
#include "engine/base/path.h"
#include "platform-hooks/hooks.h"
#include "engine/base/banned.h"

#define MAX_COPY_CHUNK ((size_t)64 << 10)

static void logf_(struct sp_buf *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct sp_buf *log, const char *fmt, ...)
{
	va_list ap;
	if (!log)
		return;
	va_start(ap, fmt);
	sp_buf_vprintf(log, fmt, ap);
	va_end(ap);
}

/* Is the entry `name` of dirfd a symlink? */
static bool is_link_at(int dirfd, const char *name)
{
	struct stat st;
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/* Opens the folder that holds the last component of rel (normalised, non-empty) below
 * root; folders on the way are made when create. *leaf points into the copy in `work`. */
static int open_parent(const char *root, const char *rel, bool create, struct sp_buf *work,
		       int *dirfd, const char **leaf, struct sp_buf *log)
{
	int rc = sp_path_rel_normalize(rel, false, work);
	if (rc != 0 || !work->len)
		return SP_EUNSAFE;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		logf_(log, "cannot open the instance root %s: %s\n", root, strerror(errno));
		return SP_EIO;
	}
	char *p = work->data;
	for (;;) {
		char *slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		int nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, p, 0755) != 0 && errno != EEXIST) {
				int e = errno;
				logf_(log, "cannot make folder %s: %s\n", p, strerror(e));
				close(fd);
				errno = e;
				return SP_EIO;
			}
			nfd = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			int e = errno;
			bool link = is_link_at(fd, p);
			logf_(log, "%s \"%s\" on the way to %s\n",
			      link ? "refusing to follow the symlink" : "cannot open folder", p, rel);
			close(fd);
			errno = e;
			return link ? SP_EUNSAFE : SP_EIO;
		}
		close(fd);
		fd = nfd;
		*slash = '/';
		p = slash + 1;
	}
	*dirfd = fd;
	*leaf = p;
	/* the copy keeps its slashes restored; leaf is its last component */
	return 0;
}

/* Opens a regular file without following a link and without blocking on a FIFO. */
static int open_regular_at(int dirfd, const char *name, int flags, unsigned mode, int *out)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
	struct stat st;
	if (fd < 0)
		return errno == ELOOP ? SP_EUNSAFE : SP_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return SP_EUNSAFE;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	*out = fd;
	return 0;
}

int sp_hooks_open_below(const char *root, const char *rel, bool create, int *fd)
{
	struct sp_buf work = SP_BUF_INIT(SP_PATH_MAX);
	const char *leaf;
	int dirfd = -1;
	int rc = open_parent(root, rel, create, &work, &dirfd, &leaf, NULL);
	if (rc == 0)
		rc = open_regular_at(dirfd, leaf, O_WRONLY | O_APPEND | (create ? O_CREAT : 0), 0644,
				     fd);
	if (dirfd >= 0)
		close(dirfd);
	sp_buf_free(&work);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return SP_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int copy_fd(int from, int to)
{
	char *chunk = malloc(MAX_COPY_CHUNK);
	int rc = 0;
	if (!chunk)
		return SP_ENOMEM;
	for (;;) {
		ssize_t r = read(from, chunk, MAX_COPY_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = SP_EIO;
			break;
		}
		if (r == 0)
			break;
		rc = write_all(to, chunk, (size_t)r);
		if (rc)
			break;
	}
	free(chunk);
	return rc;
}

/* "root" or a number; -1 for anything else (and for none). */
static long id_of(const char *name)
{
	uint64_t v;
	if (!name)
		return -1;
	if (strcmp(name, "root") == 0)
		return 0;
	if (sp_parse_u64(name, &v) == 0 && v < 0x7fffffff)
		return (long)v;
	return -1;
}

int sp_hook_file_write(const char *instance_root, const struct sp_hook_file *f,
		       struct sp_buf *log)
{
	struct sp_buf work = SP_BUF_INIT(SP_PATH_MAX), swork = SP_BUF_INIT(SP_PATH_MAX);
	char *bak = NULL, *src_rel = NULL;
	const char *leaf, *sleaf;
	int dirfd = -1, sdirfd = -1, fd = -1, sfd = -1;
	struct stat st;
	int rc;

	if (!f->rel || !*f->rel)
		return SP_EUNSAFE;
	rc = open_parent(instance_root, f->rel, true, &work, &dirfd, &leaf, log);
	if (rc)
		goto out;
	/* An existing entry is kept as <name>.bak (a folder is not replaced). */
	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode)) {
			logf_(log, "%s is a folder; not replaced\n", f->path);
			errno = EISDIR;
			rc = SP_EIO;
			goto out;
		}
		bak = sp_aprintf("%s.bak", leaf);
		if (!bak) {
			rc = SP_ENOMEM;
			goto out;
		}
		if (renameat(dirfd, leaf, dirfd, bak) != 0) {
			logf_(log, "cannot keep %s as %s.bak: %s\n", f->path, f->path, strerror(errno));
			rc = SP_EIO;
			goto out;
		}
		logf_(log, "kept the existing %s as %s.bak\n", f->path, f->path);
	}
	if (f->symlink) {
		if (symlinkat(f->content ? f->content : "", dirfd, leaf) != 0) {
			logf_(log, "cannot make the symlink %s: %s\n", f->path, strerror(errno));
			rc = SP_EIO;
			goto out;
		}
	} else {
		fd = openat(dirfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			logf_(log, "cannot create %s: %s\n", f->path, strerror(errno));
			rc = SP_EIO;
			goto out;
		}
		if (f->source) {
			src_rel = sp_aprintf("var/app/staging/%s", f->source);
			if (!src_rel) {
				rc = SP_ENOMEM;
				goto out;
			}
			rc = open_parent(instance_root, src_rel, false, &swork, &sdirfd, &sleaf, log);
			if (rc == 0)
				rc = open_regular_at(sdirfd, sleaf, O_RDONLY, 0, &sfd);
			if (rc == 0)
				rc = copy_fd(sfd, fd);
			if (rc) {
				logf_(log, "cannot copy /var/app/staging/%s to %s%s%s\n", f->source, f->path,
				      rc == SP_EIO ? ": " : "", rc == SP_EIO ? strerror(errno) : "");
				goto out;
			}
		} else {
			rc = write_all(fd, f->content ? f->content : "", f->content_len);
			if (rc) {
				logf_(log, "cannot write %s: %s\n", f->path, strerror(errno));
				goto out;
			}
		}
		if (fchmod(fd, f->mode & 0777) != 0) {
			rc = SP_EIO;
			goto out;
		}
	}
	if (geteuid() == 0 && (f->owner || f->group)) {
		long uid = id_of(f->owner), gid = id_of(f->group);
		if (f->owner && uid < 0)
			logf_(log, "owner \"%s\" is not known outside the container; %s stays owned "
				   "by root\n", f->owner, f->path);
		if (f->group && gid < 0)
			logf_(log, "group \"%s\" is not known outside the container; %s keeps group "
				   "root\n", f->group, f->path);
		if ((uid >= 0 || gid >= 0) &&
		    fchownat(dirfd, leaf, uid >= 0 ? (uid_t)uid : (uid_t)-1,
			     gid >= 0 ? (gid_t)gid : (gid_t)-1, AT_SYMLINK_NOFOLLOW) != 0) {
			logf_(log, "cannot change the owner of %s: %s\n", f->path, strerror(errno));
			rc = SP_EIO;
			goto out;
		}
	}
	logf_(log, "wrote %s (%s)\n", f->path, f->symlink ? "symlink" : "file");
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = SP_EIO;
	if (sfd >= 0)
		close(sfd);
	if (sdirfd >= 0)
		close(sdirfd);
	if (dirfd >= 0)
		close(dirfd);
	free(bak);
	free(src_rel);
	sp_buf_free(&work);
	sp_buf_free(&swork);
	return rc;
}

int sp_hooks_base64_decode(const char *s, size_t n, struct sp_buf *out)
{
	return sp_base64_decode_spaced(s, n, out);
}
