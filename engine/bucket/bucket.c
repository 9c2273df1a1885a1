/* bucket.c — the local object store. Every path is walked from a directory descriptor
 * with O_NOFOLLOW, so names are checked once and symlinks can not redirect a write. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "engine/bucket/bucket.h"
#include "engine/base/banned.h"

#define TMP_PREFIX ".sprout-"
#define DIR_MODE 0700
#define FILE_MODE 0600

int sp_bucket_check_name(const char *b, const char **why)
{
	const char *dummy;
	size_t n = b ? strlen(b) : 0;
	if (!why)
		why = &dummy;
	if (n < 3 || n > 63) {
		*why = "bucket names have 3 to 63 characters";
		return SP_EINVAL;
	}
	bool all_digits_dots = true;
	int dots = 0;
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		bool lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
		if (!lower && !digit && c != '.' && c != '-') {
			*why = "bucket names use only lowercase letters, digits, '.' and '-'";
			return SP_EINVAL;
		}
		if (c == '.') {
			dots++;
			if (i > 0 && b[i - 1] == '.') {
				*why = "bucket names must not hold two adjacent periods";
				return SP_EINVAL;
			}
		}
		if (!digit && c != '.')
			all_digits_dots = false;
	}
	if (!((b[0] >= 'a' && b[0] <= 'z') || (b[0] >= '0' && b[0] <= '9')) ||
	    !((b[n - 1] >= 'a' && b[n - 1] <= 'z') || (b[n - 1] >= '0' && b[n - 1] <= '9'))) {
		*why = "bucket names begin and end with a letter or digit";
		return SP_EINVAL;
	}
	if (all_digits_dots && dots == 3) {
		*why = "bucket names must not look like an IP address";
		return SP_EINVAL;
	}
	if (strncmp(b, "xn--", 4) == 0 || strncmp(b, "sthree-", 7) == 0) {
		*why = "bucket names must not begin with \"xn--\" or \"sthree-\"";
		return SP_EINVAL;
	}
	if ((n >= 8 && strcmp(b + n - 8, "-s3alias") == 0) ||
	    (n >= 7 && strcmp(b + n - 7, "--ol-s3") == 0)) {
		*why = "bucket names must not end with \"-s3alias\" or \"--ol-s3\"";
		return SP_EINVAL;
	}
	return 0;
}

int sp_bucket_check_key(const char *k, const char **why)
{
	const char *dummy;
	size_t n = k ? strlen(k) : 0;
	if (!why)
		why = &dummy;
	if (n == 0 || n > SP_BUCKET_MAX_KEY) {
		*why = "keys have 1 to 1024 bytes";
		return SP_EINVAL;
	}
	if (!sp_utf8_valid(k, n)) {
		*why = "keys must be valid UTF-8";
		return SP_EINVAL;
	}
	size_t depth = 0;
	const char *p = k;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t cn = slash ? (size_t)(slash - p) : strlen(p);
		if (cn == 0) {
			*why = "keys must not begin or end with '/' or hold \"//\"";
			return SP_EINVAL;
		}
		if ((cn == 1 && p[0] == '.') || (cn == 2 && p[0] == '.' && p[1] == '.')) {
			*why = "keys must not hold \".\" or \"..\" components";
			return SP_EINVAL;
		}
		if (cn > 255) {
			*why = "each '/'-separated part of a key has at most 255 bytes";
			return SP_EINVAL;
		}
		if (cn >= strlen(TMP_PREFIX) && strncmp(p, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
			*why = "key parts must not begin with \".sprout-\"";
			return SP_EINVAL;
		}
		for (size_t i = 0; i < cn; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
				*why = "keys must not hold control characters";
				return SP_EINVAL;
			}
		if (++depth > SP_BUCKET_MAX_DEPTH) {
			*why = "keys have at most 64 '/'-separated parts";
			return SP_EINVAL;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

static int errno_code(int e)
{
	if (e == ENOENT)
		return SP_ENOTFOUND;
	if (e == ENOTDIR || e == EISDIR || e == EEXIST)
		return SP_EEXISTS;
	if (e == ENOMEM)
		return SP_ENOMEM;
	if (e == ELOOP)
		return SP_EUNSAFE;
	return SP_EIO;
}

/* Opens (creating when asked) a directory below dirfd without following symlinks. */
static int open_subdir(int dirfd, const char *name, bool create, int *out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, DIR_MODE) != 0 && errno != EEXIST)
			return errno_code(errno);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return errno_code(errno);
	*out = fd;
	return 0;
}

/* Opens <data_dir>/buckets/<bucket>. */
static int open_bucket(const char *data_dir, const char *bucket, bool create, int *out)
{
	int root = -1, bdir = -1, rc;
	if (create) {
		struct sp_buf p = SP_BUF_INIT(4096);
		rc = sp_buf_printf(&p, "%s/buckets", data_dir);
		rc = rc ? rc : sp_mkdir_p(sp_buf_cstr(&p), DIR_MODE);
		sp_buf_free(&p);
		if (rc)
			return rc;
	}
	int top = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return errno_code(errno);
	rc = open_subdir(top, "buckets", create, &root);
	close(top);
	if (rc)
		return rc;
	rc = open_subdir(root, bucket, create, &bdir);
	close(root);
	if (rc)
		return rc;
	*out = bdir;
	return 0;
}

/* Walks the directories of key below the bucket; *leaf points at the last component
 * within key and *out at its directory. */
static int open_key_dir(int bdir, const char *key, bool create, int *out, const char **leaf)
{
	int cur = dup(bdir);
	const char *p = key;
	char part[256];
	if (cur < 0)
		return SP_EIO;
	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash)
			break;
		size_t cn = (size_t)(slash - p);
		memcpy(part, p, cn);
		part[cn] = '\0';
		int next = -1;
		int rc = open_subdir(cur, part, create, &next);
		close(cur);
		if (rc)
			return rc;
		cur = next;
		p = slash + 1;
	}
	*out = cur;
	*leaf = p;
	return 0;
}

static int check_both(const char *bucket, const char *key)
{
	if (sp_bucket_check_name(bucket, NULL) || sp_bucket_check_key(key, NULL))
		return SP_EINVAL;
	return 0;
}

int sp_bucket_put(const char *data_dir, const char *bucket, const char *key,
		  const void *data, size_t n)
{
	int bdir = -1, dir = -1, fd = -1, rc;
	const char *leaf;
	char tmp[64];

	if ((rc = check_both(bucket, key)) != 0)
		return rc;
	if (n > SP_BUCKET_MAX_OBJECT)
		return SP_ETOOBIG;
	if ((rc = open_bucket(data_dir, bucket, true, &bdir)) != 0)
		return rc;
	if ((rc = open_key_dir(bdir, key, true, &dir, &leaf)) != 0)
		goto out;
	for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
		snprintf(tmp, sizeof(tmp), TMP_PREFIX "tmp-%ld-%d", (long)getpid(), attempt);
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    FILE_MODE);
		if (fd < 0 && errno != EEXIST) {
			rc = errno_code(errno);
			goto out;
		}
	}
	if (fd < 0) {
		rc = SP_EIO;
		goto out;
	}
	const char *p = data;
	size_t left = n;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = SP_EIO;
			goto out_unlink;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fchmod(fd, FILE_MODE) != 0 || fsync(fd) != 0) {
		rc = SP_EIO;
		goto out_unlink;
	}
	close(fd);
	fd = -1;
	struct stat st;
	if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		rc = SP_EEXISTS; /* a directory (key prefix) or something planted */
		goto out_unlink;
	}
	if (renameat(dir, tmp, dir, leaf) != 0) {
		rc = errno_code(errno);
		goto out_unlink;
	}
	fsync(dir);
	rc = 0;
	goto out;
out_unlink:
	unlinkat(dir, tmp, 0);
out:
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	if (bdir >= 0)
		close(bdir);
	return rc;
}

int sp_bucket_get(const char *data_dir, const char *bucket, const char *key, size_t max,
		  struct sp_buf *out)
{
	int bdir = -1, dir = -1, fd = -1, rc;
	const char *leaf;
	struct sp_buf tmp = SP_BUF_INIT(0);

	if ((rc = check_both(bucket, key)) != 0)
		return rc;
	if (max == 0 || max > SP_BUCKET_MAX_OBJECT)
		max = SP_BUCKET_MAX_OBJECT;
	tmp.max = max;
	if ((rc = open_bucket(data_dir, bucket, false, &bdir)) != 0)
		return rc;
	if ((rc = open_key_dir(bdir, key, false, &dir, &leaf)) != 0) {
		if (rc == SP_EEXISTS)
			rc = SP_ENOTFOUND;
		goto out;
	}
	fd = openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ELOOP ? SP_EUNSAFE : errno_code(errno);
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = SP_ENOTFOUND;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = SP_ETOOBIG;
		goto out;
	}
	char chunk[8192];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = SP_EIO;
			goto out;
		}
		if (r == 0)
			break;
		if ((rc = sp_buf_append(&tmp, chunk, (size_t)r)) != 0)
			goto out;
	}
	rc = sp_buf_append(out, tmp.data ? tmp.data : "", tmp.len);
out:
	if (tmp.data)
		explicit_bzero(tmp.data, tmp.len);
	sp_buf_free(&tmp);
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	if (bdir >= 0)
		close(bdir);
	return rc;
}

int sp_bucket_rm(const char *data_dir, const char *bucket, const char *key)
{
	int bdir = -1, dir = -1, rc;
	const char *leaf;
	struct stat st;

	if ((rc = check_both(bucket, key)) != 0)
		return rc;
	if ((rc = open_bucket(data_dir, bucket, false, &bdir)) != 0)
		return rc;
	if ((rc = open_key_dir(bdir, key, false, &dir, &leaf)) != 0) {
		if (rc == SP_EEXISTS)
			rc = SP_ENOTFOUND;
		goto out;
	}
	if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		rc = errno_code(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = SP_ENOTFOUND;
		goto out;
	}
	if (unlinkat(dir, leaf, 0) != 0) {
		rc = errno_code(errno);
		goto out;
	}
	/* remove the directories the key leaves empty, deepest first */
	char *prefix = sp_strdup(key);
	if (prefix) {
		char *slash;
		while ((slash = strrchr(prefix, '/')) != NULL) {
			*slash = '\0';
			if (unlinkat(bdir, prefix, AT_REMOVEDIR) != 0)
				break;
		}
		free(prefix);
	}
	close(bdir);
	bdir = -1;
	struct sp_buf p = SP_BUF_INIT(4096);
	if (sp_buf_printf(&p, "%s/buckets/%s", data_dir, bucket) == 0)
		rmdir(sp_buf_cstr(&p)); /* fails, harmlessly, unless the bucket is empty */
	sp_buf_free(&p);
	rc = 0;
out:
	if (dir >= 0)
		close(dir);
	if (bdir >= 0)
		close(bdir);
	return rc;
}

void sp_bucket_list_release(struct sp_bucket_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}

static int list_push(struct sp_bucket_list *l, size_t *cap, const char *name)
{
	if (l->n >= SP_BUCKET_MAX_LIST)
		return SP_ETOOBIG;
	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **p = realloc(l->names, nc * sizeof(*p));
		if (!p)
			return SP_ENOMEM;
		l->names = p;
		*cap = nc;
	}
	if (!(l->names[l->n] = sp_strdup(name)))
		return SP_ENOMEM;
	l->n++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects regular files below dirfd as prefix/name. Takes ownership of dirfd. */
static int walk_keys(int dirfd, const char *prefix, size_t depth, struct sp_bucket_list *l,
		     size_t *cap)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int rc = 0;
	if (!d) {
		close(dirfd);
		return SP_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
		    strncmp(n, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		char *full = *prefix ? sp_aprintf("%s/%s", prefix, n) : sp_strdup(n);
		if (!full) {
			rc = SP_ENOMEM;
			break;
		}
		if (S_ISREG(st.st_mode) && sp_bucket_check_key(full, NULL) == 0) {
			rc = list_push(l, cap, full);
		} else if (S_ISDIR(st.st_mode) && depth + 1 < SP_BUCKET_MAX_DEPTH) {
			int sub = -1;
			rc = open_subdir(dirfd, n, false, &sub);
			if (rc == 0)
				rc = walk_keys(sub, full, depth + 1, l, cap);
			else
				rc = 0; /* vanished or not a real directory: skip */
		}
		free(full);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

int sp_bucket_list_keys(const char *data_dir, const char *bucket, struct sp_bucket_list *out)
{
	struct sp_bucket_list l = { 0 };
	size_t cap = 0;
	int bdir = -1, rc;
	if (sp_bucket_check_name(bucket, NULL))
		return SP_EINVAL;
	if ((rc = open_bucket(data_dir, bucket, false, &bdir)) != 0)
		return rc;
	rc = walk_keys(bdir, "", 0, &l, &cap);
	if (rc) {
		sp_bucket_list_release(&l);
		return rc;
	}
	if (l.n)
		qsort(l.names, l.n, sizeof(*l.names), cmp_names);
	*out = l;
	return 0;
}

int sp_bucket_list_buckets(const char *data_dir, struct sp_bucket_list *out)
{
	struct sp_bucket_list l = { 0 };
	size_t cap = 0;
	int rc = 0, root = -1;
	int top = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0) {
		if (errno == ENOENT)
			goto done;
		return SP_EIO;
	}
	rc = open_subdir(top, "buckets", false, &root);
	close(top);
	if (rc == SP_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if (rc)
		return rc;
	DIR *d = fdopendir(root);
	if (!d) {
		close(root);
		return SP_EIO;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (sp_bucket_check_name(de->d_name, NULL) != 0)
			continue;
		if (fstatat(root, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if ((rc = list_push(&l, &cap, de->d_name)) != 0)
			break;
	}
	closedir(d);
	if (rc) {
		sp_bucket_list_release(&l);
		return rc;
	}
	if (l.n)
		qsort(l.names, l.n, sizeof(*l.names), cmp_names);
done:
	*out = l;
	return 0;
}
