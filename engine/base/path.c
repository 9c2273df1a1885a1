/* path.c — path normalisation that never leaves a root, mkdir -p and rm -rf. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "engine/base/banned.h"

int sp_path_rel_normalize(const char *rel, bool allow_dotdot, struct sp_buf *out)
{
	size_t n = strlen(rel);
	if (n >= SP_PATH_MAX)
		return SP_ETOOBIG;
	if (rel[0] == '/')
		return SP_EUNSAFE;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)rel[i] < 0x20 || rel[i] == 0x7f)
			return SP_EUNSAFE;
	/* component start offsets in `tmp`, to pop on ".." */
	char tmp[SP_PATH_MAX];
	size_t starts[SP_PATH_MAX / 2];
	size_t depth = 0, len = 0;
	const char *p = rel;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t cl = e ? (size_t)(e - p) : strlen(p);
		if (cl == 0 || (cl == 1 && p[0] == '.')) {
			/* empty or "." component: skip */
		} else if (cl == 2 && p[0] == '.' && p[1] == '.') {
			if (!allow_dotdot || depth == 0)
				return SP_EUNSAFE;
			len = starts[--depth];
			if (len > 0)
				len--; /* drop the separator */
		} else {
			if (len > 0)
				tmp[len++] = '/';
			starts[depth++] = len;
			memcpy(tmp + len, p, cl);
			len += cl;
		}
		p += cl;
		if (*p == '/')
			p++;
	}
	/* when a component was popped to 0 the leading '/' bookkeeping is already right */
	sp_buf_reset(out);
	return sp_buf_append(out, tmp, len);
}

int sp_path_join(const char *root, const char *rel, struct sp_buf *out)
{
	struct sp_buf norm = SP_BUF_INIT(SP_PATH_MAX);
	int rc = sp_path_rel_normalize(rel, false, &norm);
	if (rc)
		goto out;
	struct sp_buf r = SP_BUF_INIT(SP_PATH_MAX * 2);
	rc = sp_buf_puts(&r, root);
	if (!rc && norm.len) {
		if (r.len == 0 || r.data[r.len - 1] != '/')
			rc = sp_buf_putc(&r, '/');
		if (!rc)
			rc = sp_buf_append(&r, norm.data, norm.len);
	}
	if (!rc) {
		sp_buf_reset(out);
		rc = sp_buf_append(out, sp_buf_cstr(&r), r.len);
	}
	sp_buf_free(&r);
out:
	sp_buf_free(&norm);
	return rc;
}

int sp_path_link_stays_inside(const char *link_path, const char *target)
{
	if (target[0] == '/' || target[0] == '\0')
		return SP_EUNSAFE;
	/* the target is relative to the link's directory */
	struct sp_buf joined = SP_BUF_INIT(SP_PATH_MAX * 2), norm = SP_BUF_INIT(SP_PATH_MAX);
	const char *slash = strrchr(link_path, '/');
	int rc = 0;
	if (slash)
		rc = sp_buf_append(&joined, link_path, (size_t)(slash - link_path + 1));
	if (!rc)
		rc = sp_buf_puts(&joined, target);
	if (!rc)
		rc = sp_path_rel_normalize(sp_buf_cstr(&joined), true, &norm);
	if (rc == SP_ETOOBIG)
		rc = SP_EUNSAFE;
	sp_buf_free(&joined);
	sp_buf_free(&norm);
	return rc;
}

int sp_mkdir_p(const char *dir, unsigned mode)
{
	char tmp[SP_PATH_MAX];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(tmp))
		return SP_EINVAL;
	memcpy(tmp, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] == '/' || tmp[i] == '\0') {
			char saved = tmp[i];
			tmp[i] = '\0';
			if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
				return SP_EIO;
			tmp[i] = saved;
		}
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return SP_EIO;
	return 0;
}

static int rm_at(int at, const char *name)
{
	struct stat st;
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : SP_EIO;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) == 0 || errno == ENOENT ? 0 : SP_EIO;
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return SP_EIO;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return SP_EIO;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int r = rm_at(dirfd(d), e->d_name);
		if (r && !rc)
			rc = r;
	}
	closedir(d);
	if (unlinkat(at, name, AT_REMOVEDIR) != 0 && errno != ENOENT && !rc)
		rc = SP_EIO;
	return rc;
}

int sp_rm_rf(const char *path)
{
	return rm_at(AT_FDCWD, path);
}
