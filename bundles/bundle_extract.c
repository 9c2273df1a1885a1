/* bundle_extract.c — the disk side of extraction: a fresh staging folder, written only
 * below itself.
 *
 * Every parent folder is created by us and opened with O_DIRECTORY|O_NOFOLLOW, files are
 * created with O_CREAT|O_EXCL|O_NOFOLLOW, and links are made only after every entry was
 * written and checked, so no write can ever go through a link. The reader
 * (bundle_read.c) has already refused "..", absolute paths and duplicates; this file is
 * the second wall, not the first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundles/bundle_internal.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

struct bx_sink {
	char *dir;
	int rootfd;
	int filefd;
	struct sp_buf cache_path; /* folder whose fd is cache_fd */
	int cache_fd;
};

int bx_sink_new(const char *parent, struct bx_sink **out)
{
	struct bx_sink *s = calloc(1, sizeof(*s));
	if (!s)
		return SP_ENOMEM;
	s->rootfd = s->filefd = s->cache_fd = -1;
	sp_buf_init(&s->cache_path, SP_PATH_MAX);
	s->dir = sp_aprintf("%s/sprout-staging-XXXXXX", parent);
	if (!s->dir || !mkdtemp(s->dir)) {
		int e = errno;
		free(s->dir);
		free(s);
		errno = e;
		return SP_EIO;
	}
	s->rootfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->rootfd < 0 || fchmod(s->rootfd, 0755) != 0) {
		int e = errno;
		bx_sink_abort(s);
		errno = e;
		return SP_EIO;
	}
	*out = s;
	return 0;
}

static void drop_cache(struct bx_sink *s)
{
	if (s->cache_fd >= 0)
		close(s->cache_fd);
	s->cache_fd = -1;
	sp_buf_reset(&s->cache_path);
}

/* The fd of path's parent folder (created as needed); *base = the last component. */
static int parent_fd(struct bx_sink *s, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		*base = path;
		return s->rootfd;
	}
	*base = slash + 1;
	size_t plen = (size_t)(slash - path);
	if (s->cache_fd >= 0 && s->cache_path.len == plen &&
	    memcmp(s->cache_path.data, path, plen) == 0)
		return s->cache_fd;
	drop_cache(s);
	int fd = s->rootfd;
	const char *p = path;
	char comp[256 * 4 + 1];
	while (p < slash) {
		const char *e = memchr(p, '/', (size_t)(slash - p));
		if (!e)
			e = slash;
		size_t len = (size_t)(e - p);
		if (len >= sizeof(comp)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST)
			goto fail;
		int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != s->rootfd)
			close(fd);
		fd = nfd;
		if (fd < 0)
			goto fail;
		p = e + 1;
	}
	if (sp_buf_append(&s->cache_path, path, plen) != 0) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	s->cache_fd = fd;
	return fd;
fail:
	if (fd >= 0 && fd != s->rootfd) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

int bx_sink_dir(struct bx_sink *s, const char *path)
{
	const char *base;
	int pfd = parent_fd(s, path, &base);
	if (pfd < 0)
		return SP_EIO;
	if (mkdirat(pfd, base, 0755) != 0) {
		struct stat st;
		if (errno != EEXIST)
			return SP_EIO;
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return SP_EIO;
		if (!S_ISDIR(st.st_mode)) {
			errno = EEXIST;
			return SP_EIO;
		}
	}
	return 0;
}

int bx_sink_file_open(struct bx_sink *s, const char *path, unsigned mode)
{
	const char *base;
	int pfd = parent_fd(s, path, &base);
	if (pfd < 0)
		return SP_EIO;
	s->filefd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   (mode_t)mode);
	if (s->filefd < 0)
		return SP_EIO;
	if (fchmod(s->filefd, (mode_t)mode) != 0) {
		int e = errno;
		close(s->filefd);
		s->filefd = -1;
		errno = e;
		return SP_EIO;
	}
	return 0;
}

int bx_sink_file_write(struct bx_sink *s, uint64_t off, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		ssize_t w = pwrite(s->filefd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return SP_EIO;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int bx_sink_file_close(struct bx_sink *s, uint64_t size)
{
	int rc = 0;
	if (s->filefd < 0)
		return 0;
	/* a sparse file may end in a hole */
	struct stat st;
	if (fstat(s->filefd, &st) == 0 && (uint64_t)st.st_size < size &&
	    ftruncate(s->filefd, (off_t)size) != 0)
		rc = SP_EIO;
	if (close(s->filefd) != 0)
		rc = SP_EIO;
	s->filefd = -1;
	return rc;
}

int bx_sink_links(struct bx_sink *s, const struct sp_bundle *b)
{
	for (int pass = 0; pass < 2; pass++) {
		enum sp_bundle_entry_type want = pass == 0 ? SP_BUNDLE_HARDLINK : SP_BUNDLE_SYMLINK;
		for (size_t i = 0; i < sp_bundle_entry_count(b); i++) {
			const struct sp_bundle_entry *e = sp_bundle_entry_at(b, i);
			const char *base;
			if (e->type != want)
				continue;
			int pfd = parent_fd(s, e->path, &base);
			if (pfd < 0)
				return SP_EIO;
			int rc = want == SP_BUNDLE_HARDLINK
					 ? linkat(s->rootfd, e->link_target, pfd, base, 0)
					 : symlinkat(e->link_target, pfd, base);
			if (rc != 0)
				return SP_EIO;
		}
	}
	return 0;
}

static void sink_close(struct bx_sink *s)
{
	drop_cache(s);
	if (s->filefd >= 0)
		close(s->filefd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	sp_buf_free(&s->cache_path);
}

int bx_sink_commit(struct bx_sink *s, char **out_dir)
{
	sink_close(s);
	*out_dir = s->dir;
	free(s);
	return 0;
}

void bx_sink_abort(struct bx_sink *s)
{
	if (!s)
		return;
	sink_close(s);
	sp_rm_rf(s->dir);
	free(s->dir);
	free(s);
}
