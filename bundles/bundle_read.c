/* bundle_read.c — reading zip and tar bundles with libarchive, as a stream.
 *
 * One loop serves sp_bundle_open (check only) and sp_bundle_extract (check and write
 * through bundle_extract.c's sink). The bundle's SHA-256 is computed from the bytes as
 * libarchive asks for them: sequential reads extend the hashed prefix, and whatever was
 * not read in order (the seekable zip reader jumps to the central directory first) is
 * hashed at the end, so a tar is read once and a zip about once.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundles/bundle_internal.h"
#include "engine/base/sha256.h"
#include "engine/base/banned.h"

#define READ_BLOCK ((size_t)128 << 10)

struct src {
	int fd;                   /* -1 for memory */
	const unsigned char *mem;
	uint64_t size, pos, hashed;
	struct sp_sha256 *sha;
	unsigned char *buf;
	int err;                  /* errno of a failed read */
};

static void src_hash(struct src *s, const unsigned char *p, uint64_t at, size_t n)
{
	if (at <= s->hashed && at + n > s->hashed) {
		size_t skip = (size_t)(s->hashed - at);
		sp_sha256_update(s->sha, p + skip, n - skip);
		s->hashed = at + n;
	}
}

static la_ssize_t src_read(struct archive *a, void *ud, const void **out)
{
	struct src *s = ud;
	(void)a;
	if (s->fd < 0) {
		size_t n = s->pos < s->size ? (size_t)(s->size - s->pos) : 0;
		if (n > ((size_t)1 << 20))
			n = (size_t)1 << 20;
		*out = s->mem + s->pos;
		src_hash(s, s->mem + s->pos, s->pos, n);
		s->pos += n;
		return (la_ssize_t)n;
	}
	ssize_t n;
	do
		n = read(s->fd, s->buf, READ_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		s->err = errno;
		archive_set_error(a, errno, "read failed: %s", strerror(errno));
		return -1;
	}
	*out = s->buf;
	src_hash(s, s->buf, s->pos, (size_t)n);
	s->pos += (uint64_t)n;
	return n;
}

static la_int64_t src_seek(struct archive *a, void *ud, la_int64_t off, int whence)
{
	struct src *s = ud;
	(void)a;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)s->pos
								     : (int64_t)s->size;
	int64_t to = base + off;
	if (to < 0)
		return ARCHIVE_FATAL;
	if (s->fd >= 0 && lseek(s->fd, (off_t)to, SEEK_SET) < 0)
		return ARCHIVE_FATAL;
	s->pos = (uint64_t)to;
	return to;
}

/* Hashes what sequential reading did not cover. */
static int src_finish(struct src *s, char hex[65])
{
	while (s->hashed < s->size) {
		size_t want = READ_BLOCK;
		if (s->size - s->hashed < want)
			want = (size_t)(s->size - s->hashed);
		if (s->fd < 0) {
			sp_sha256_update(s->sha, s->mem + s->hashed, want);
			s->hashed += want;
			continue;
		}
		ssize_t n = pread(s->fd, s->buf, want, (off_t)s->hashed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SP_EIO;
		sp_sha256_update(s->sha, s->buf, (size_t)n);
		s->hashed += (uint64_t)n;
	}
	return sp_sha256_final_hex(s->sha, hex);
}

static char *format_name(struct archive *a)
{
	int f = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;
	const char *base = f == ARCHIVE_FORMAT_ZIP ? "zip" : f == ARCHIVE_FORMAT_TAR ? "tar" : "?";
	const char *ext = "";
	switch (archive_filter_code(a, 0)) {
	case ARCHIVE_FILTER_GZIP: ext = ".gz"; break;
	case ARCHIVE_FILTER_BZIP2: ext = ".bz2"; break;
	case ARCHIVE_FILTER_XZ: ext = ".xz"; break;
	default: break;
	}
	return sp_aprintf("%s%s", base, ext);
}

static void diag(struct sp_diags *d, const char *code, const char *file, const char *path,
		 const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void diag(struct sp_diags *d, const char *code, const char *file, const char *path,
		 const char *hint, const char *fmt, ...)
{
	va_list ap;
	struct sp_loc loc = { file, 0, 0, path ? path : "" };
	va_start(ap, fmt);
	sp_diag_vadd(d, SP_SEV_ERROR, code, loc, hint, fmt, ap);
	va_end(ap);
}

/* Adds a hardlink after checking its target: an earlier regular file inside the bundle. */
static int check_hardlink(struct sp_bundle *b, const char *path, const char *raw_target,
			  const struct sp_bundle_limits *lim, const char *file,
			  struct sp_diags *d, struct sp_buf *norm)
{
	struct sp_diags quiet;
	sp_diags_init(&quiet);
	int bad = bm_check_name(raw_target, lim, file, &quiet, norm);
	sp_diags_free(&quiet);
	if (bad) {
		struct sp_buf q = SP_BUF_INIT(0);
		bm_quote_name(raw_target, &q);
		diag(d, "BUNDLE_LINK_OUTSIDE", file, path,
		     "replace the link with a copy of the file",
		     "hardlink \"%s\" -> \"%s\" points outside the bundle", path, sp_buf_cstr(&q));
		sp_buf_free(&q);
		return 1;
	}
	ssize_t t = bm_lookup(b, norm->data);
	if (t < 0 || bm_get(b, (size_t)t)->pub.type != SP_BUNDLE_FILE) {
		diag(d, "BUNDLE_LINK_TARGET_MISSING", file, path,
		     "recreate the bundle; a hardlink must follow the file it links to",
		     "hardlink \"%s\" -> \"%s\" does not name an earlier file of the bundle", path,
		     norm->data);
		return 1;
	}
	return 0;
}

struct reading {
	struct archive *a;
	struct src src;
	struct sp_bundle *b;
	const struct sp_bundle_limits *lim;
	const char *file;
	struct sp_diags *d;
	struct bx_sink *sink;  /* NULL: check only */
	size_t errors_before;
	uint64_t total;
	bool fatal;
};

static bool has_errors(const struct reading *r)
{
	return sp_diags_errors(r->d) > r->errors_before;
}

/* Counts unpacked bytes against the size and ratio limits; false (and a diagnostic)
 * when one is crossed. */
static bool account(struct reading *r, uint64_t more, const char *path)
{
	r->total += more;
	if (r->total > r->lim->max_uncompressed) {
		diag(r->d, "BUNDLE_TOO_LARGE", r->file, path,
		     "make the bundle smaller (leave out build output and dependencies, see "
		     ".ebignore), or raise MAX_BUNDLE_UNCOMPRESSED (--max-size)",
		     "bundle unpacks to more than %llu bytes (reached at entry \"%s\")",
		     (unsigned long long)r->lim->max_uncompressed, path);
		r->fatal = true;
		return false;
	}
	if (r->total > MAX_BUNDLE_RATIO_FLOOR && r->src.size > 0 &&
	    r->total / r->src.size >= r->lim->max_ratio) {
		diag(r->d, "BUNDLE_RATIO", r->file, path,
		     "this looks like a zip bomb; if the data really is that compressible, "
		     "raise MAX_BUNDLE_RATIO (--max-ratio)",
		     "bundle unpacks to more than %llu times its size (reached at entry \"%s\")",
		     (unsigned long long)r->lim->max_ratio, path);
		r->fatal = true;
		return false;
	}
	return true;
}

static int read_data(struct reading *r, size_t idx, bool keep, bool write, const char *path,
		     uint64_t *size)
{
	uint64_t seen = 0;
	for (;;) {
		const void *buf;
		size_t n;
		la_int64_t off;
		int rc = archive_read_data_block(r->a, &buf, &n, &off);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK) {
			diag(r->d, "BUNDLE_CORRUPT", r->file, path,
			     "recreate the bundle; it may have been truncated or damaged in transit",
			     "entry \"%s\" cannot be read: %s", path,
			     archive_error_string(r->a) ? archive_error_string(r->a) : "error");
			if (rc == ARCHIVE_FATAL)
				r->fatal = true;
			return SP_ERROR;
		}
		if (off < 0)
			off = (la_int64_t)seen;
		uint64_t end = (uint64_t)off + n;
		if (end > seen) {
			if (!account(r, end - seen, path))
				return SP_ERROR;
			seen = end;
		}
		if (keep && (uint64_t)off == bm_get(r->b, idx)->kept.len)
			bm_keep(r->b, idx, buf, n);
		if (write && !has_errors(r)) {
			int wrc = bx_sink_file_write(r->sink, (uint64_t)off, buf, n);
			if (wrc != 0) {
				diag(r->d, "BUNDLE_IO", r->file, path, NULL,
				     "cannot write entry \"%s\": %s", path, strerror(errno));
				r->fatal = true;
				return wrc;
			}
		}
	}
	*size = seen;
	return 0;
}

static void read_entries(struct reading *r)
{
	struct sp_buf norm = SP_BUF_INIT(0), tnorm = SP_BUF_INIT(0);
	uint64_t count = 0;
	for (;;) {
		struct archive_entry *ae;
		int rc = archive_read_next_header(r->a, &ae);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN) {
			const char *msg = archive_error_string(r->a);
			if (count == 0 && archive_format(r->a) == 0 &&
			    archive_filter_code(r->a, 0) == ARCHIVE_FILTER_NONE)
				diag(r->d, "BUNDLE_NOT_ARCHIVE", r->file, "",
				     "a bundle is a zip (or a tar, tar.gz, tgz, tar.bz2, tar.xz) "
				     "holding Dockerrun.aws.json at its root",
				     "%s is not a zip or tar archive (%s)", r->file, msg ? msg : "?");
			else
				diag(r->d, "BUNDLE_CORRUPT", r->file, "",
				     "recreate the bundle; it may have been truncated or damaged",
				     "cannot read the entry after #%llu: %s",
				     (unsigned long long)count, msg ? msg : "error");
			r->fatal = true;
			break;
		}
		if (!r->b->format[0]) {
			char *f = format_name(r->a);
			if (f) {
				free(r->b->format);
				r->b->format = f;
			}
		}
		if (++count > r->lim->max_entries) {
			diag(r->d, "BUNDLE_TOO_MANY_ENTRIES", r->file, "",
			     "bundle fewer files (leave out dependencies and build output, see "
			     ".ebignore), or raise MAX_BUNDLE_ENTRIES (--max-entries)",
			     "bundle holds more than %llu entries",
			     (unsigned long long)r->lim->max_entries);
			r->fatal = true;
			break;
		}
		const char *raw = archive_entry_pathname(ae);
		if (!raw) {
			char what[64];
			snprintf(what, sizeof(what), "#%llu", (unsigned long long)count);
			diag(r->d, "BUNDLE_NAME_NOT_UTF8", r->file, what,
			     "rename the file with a UTF-8 name",
			     "entry #%llu: name cannot be read as UTF-8", (unsigned long long)count);
			continue;
		}
		int bad = bm_check_name(raw, r->lim, r->file, r->d, &norm);
		if (bad < 0)
			break;
		if (bad == 2)
			continue; /* "./": the root itself */
		const char *path = bad == 1 ? raw : sp_buf_cstr(&norm);
		mode_t ft = archive_entry_filetype(ae);
		const char *hard = archive_entry_hardlink(ae);
		enum sp_bundle_entry_type type = SP_BUNDLE_FILE;
		const char *target = NULL;
		if (hard) {
			type = SP_BUNDLE_HARDLINK;
			if (bad != 1 &&
			    check_hardlink(r->b, path, hard, r->lim, r->file, r->d, &tnorm) != 0)
				bad = 1;
			target = sp_buf_cstr(&tnorm);
		} else if (ft == AE_IFREG) {
			type = SP_BUNDLE_FILE;
		} else if (ft == AE_IFDIR) {
			type = SP_BUNDLE_DIR;
		} else if (ft == AE_IFLNK) {
			type = SP_BUNDLE_SYMLINK;
			target = archive_entry_symlink(ae);
			if (!target)
				target = "";
		} else {
			const char *what = ft == AE_IFCHR ? "character device"
					 : ft == AE_IFBLK ? "block device"
					 : ft == AE_IFIFO ? "FIFO" : ft == AE_IFSOCK ? "socket"
					 : "special file";
			diag(r->d, "BUNDLE_SPECIAL_FILE", r->file, path,
			     "bundles hold only files, folders and links; remove it",
			     "entry \"%s\" is a %s", path, what);
			bad = 1;
		}
		if (archive_entry_is_encrypted(ae)) {
			diag(r->d, "BUNDLE_ENCRYPTED", r->file, path,
			     "recreate the zip without a password",
			     "entry \"%s\" is encrypted", path);
			bad = 1;
		}
		size_t idx = 0;
		int added = 1;
		if (bad == 0) {
			added = bm_add(r->b, path, type, (unsigned)archive_entry_perm(ae), target,
				       r->file, r->d, &idx);
			if (added == SP_ENOMEM) {
				r->fatal = true;
				break;
			}
		}
		bool write = r->sink && added == 0 && !has_errors(r);
		if (write && type == SP_BUNDLE_DIR && bx_sink_dir(r->sink, path) != 0) {
			diag(r->d, "BUNDLE_IO", r->file, path, NULL, "cannot create folder \"%s\": %s",
			     path, strerror(errno));
			r->fatal = true;
			break;
		}
		if (type != SP_BUNDLE_FILE || archive_entry_is_encrypted(ae) ||
		    (bad == 1 && ft != AE_IFREG))
			continue;
		/* Regular file: read the data even when the entry is refused, so the size
		 * and ratio limits see every byte. */
		unsigned mode = (archive_entry_perm(ae) & 0111) ? 0755 : 0644;
		if (write && bx_sink_file_open(r->sink, path, mode) != 0) {
			diag(r->d, "BUNDLE_IO", r->file, path, NULL, "cannot create \"%s\": %s",
			     path, strerror(errno));
			r->fatal = true;
			break;
		}
		uint64_t size = 0;
		int drc = read_data(r, idx, added == 0 && bm_is_kept_path(path), write, path,
				    &size);
		if (write) {
			int crc = bx_sink_file_close(r->sink, size);
			if (crc != 0 && drc == 0) {
				diag(r->d, "BUNDLE_IO", r->file, path, NULL,
				     "cannot write \"%s\": %s", path, strerror(errno));
				r->fatal = true;
			}
		}
		if (added == 0)
			bm_get(r->b, idx)->pub.size = size;
		if (r->fatal)
			break;
	}
	sp_buf_free(&norm);
	sp_buf_free(&tnorm);
}

/* The whole read. staging_parent NULL: check only. */
static int bundle_read(struct src *src, const char *file, const struct sp_bundle_limits *lim,
		       struct sp_diags *d, const char *staging_parent, bool layout,
		       char **out_dir, struct sp_bundle **out)
{
	struct sp_bundle_limits deflim = SP_BUNDLE_LIMITS_DEFAULT;
	struct reading r = { 0 };
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;
	int ret = SP_ERROR;

	r.lim = lim ? lim : &deflim;
	r.file = file;
	r.d = d;
	r.src = *src;
	r.errors_before = sp_diags_errors(d);
	if (r.src.size > r.lim->max_compressed) {
		diag(d, "BUNDLE_COMPRESSED_TOO_LARGE", file, "",
		     "Elastic Beanstalk accepts source bundles up to 512 MB; leave out "
		     "dependencies and build output (see .ebignore), or raise "
		     "MAX_BUNDLE_COMPRESSED (--max-compressed)",
		     "%s is %llu bytes, more than %llu", file, (unsigned long long)r.src.size,
		     (unsigned long long)r.lim->max_compressed);
		goto out;
	}
	r.b = bm_new("");
	if (!r.b || sp_sha256_new(&r.src.sha) != 0) {
		ret = SP_ENOMEM;
		goto out;
	}
	r.b->compressed_size = r.src.size;
	if (r.src.fd >= 0 && !(r.src.buf = malloc(READ_BLOCK))) {
		ret = SP_ENOMEM;
		goto out;
	}
	if (staging_parent && bx_sink_new(staging_parent, &r.sink) != 0) {
		diag(d, "BUNDLE_IO", file, "", NULL, "cannot create a staging folder in %s: %s",
		     staging_parent, strerror(errno));
		ret = SP_EIO;
		goto out;
	}
	r.a = archive_read_new();
	if (!r.a) {
		ret = SP_ENOMEM;
		goto out;
	}
	archive_read_support_format_zip(r.a);
	archive_read_support_format_tar(r.a);
	archive_read_support_filter_gzip(r.a);
	archive_read_support_filter_bzip2(r.a);
	archive_read_support_filter_xz(r.a);
	archive_read_set_read_callback(r.a, src_read);
	archive_read_set_seek_callback(r.a, src_seek);
	archive_read_set_callback_data(r.a, &r.src);
	if (archive_read_open1(r.a) != ARCHIVE_OK) {
		const char *msg = archive_error_string(r.a);
		if (archive_filter_code(r.a, 0) != ARCHIVE_FILTER_NONE ||
		    (msg && strstr(msg, "truncated")))
			diag(d, "BUNDLE_CORRUPT", file, "",
			     "recreate the bundle; it may have been truncated or damaged in transit",
			     "%s cannot be read: %s", file, msg ? msg : "?");
		else
			diag(d, "BUNDLE_NOT_ARCHIVE", file, "",
			     "a bundle is a zip (or a tar, tar.gz, tgz, tar.bz2, tar.xz) holding "
			     "Dockerrun.aws.json at its root",
			     "%s is not a zip or tar archive (%s)", file, msg ? msg : "?");
		goto out;
	}
	read_entries(&r);
	if (r.fatal)
		goto out;
	bm_check_links(r.b, file, d); /* even after errors: report every problem at once */
	if (has_errors(&r))
		goto out;
	r.b->uncompressed_size = r.total;
	if (bm_finish(r.b) != 0) {
		ret = SP_ENOMEM;
		goto out;
	}
	if (src_finish(&r.src, r.b->sha256) != 0) {
		diag(d, "BUNDLE_IO", file, "", NULL, "cannot read %s: %s", file, strerror(errno));
		ret = SP_EIO;
		goto out;
	}
	r.b->has_sha = true;
	if (r.sink) {
		if (bx_sink_links(r.sink, r.b) != 0) {
			diag(d, "BUNDLE_IO", file, "", NULL, "cannot create links: %s",
			     strerror(errno));
			ret = SP_EIO;
			goto out;
		}
		if (bx_sink_commit(r.sink, out_dir) != 0) {
			ret = SP_ENOMEM;
			goto out;
		}
		r.sink = NULL;
	}
	if (layout)
		sp_bundle_check_layout(r.b, file, d);
	if (out) {
		*out = r.b;
		r.b = NULL;
	}
	ret = 0;
out:
	if (r.a)
		archive_read_free(r.a);
	if (r.sink)
		bx_sink_abort(r.sink);
	sp_bundle_free(r.b);
	sp_sha256_free(r.src.sha);
	free(r.src.buf);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return ret;
}

static int open_src(const char *path, struct sp_diags *d, struct src *s)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = s->fd < 0 ? errno : S_ISREG(st.st_mode) ? errno : EISDIR;
		struct sp_loc loc = { path, 0, 0, "" };
		sp_diag_add(d, SP_SEV_ERROR, "BUNDLE_IO", loc, NULL, "cannot read %s: %s", path,
			    strerror(e));
		if (s->fd >= 0)
			close(s->fd);
		errno = e;
		return SP_EIO;
	}
	s->size = (uint64_t)st.st_size;
	return 0;
}

int sp_bundle_open(const char *path, const struct sp_bundle_limits *lim, struct sp_diags *d,
		   struct sp_bundle **out)
{
	struct src s;
	int rc = open_src(path, d, &s);
	if (rc != 0)
		return rc;
	rc = bundle_read(&s, path, lim, d, NULL, true, NULL, out);
	close(s.fd);
	return rc;
}

int sp_bundle_open_memory(const void *data, size_t n, const char *name,
			  const struct sp_bundle_limits *lim, struct sp_diags *d,
			  struct sp_bundle **out)
{
	struct src s;
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	s.mem = data;
	s.size = n;
	return bundle_read(&s, name, lim, d, NULL, true, NULL, out);
}

int sp_bundle_extract_manifest(const char *bundle_path, const char *staging_parent,
			       const struct sp_bundle_limits *lim, struct sp_diags *d,
			       char **out_dir, struct sp_bundle **out_manifest)
{
	struct src s;
	char *dir = NULL;
	struct sp_bundle *m = NULL;
	int rc = open_src(bundle_path, d, &s);
	if (rc != 0)
		return rc;
	rc = bundle_read(&s, bundle_path, lim, d, staging_parent, false, &dir, &m);
	close(s.fd);
	if (rc != 0)
		return rc;
	*out_dir = dir;
	if (out_manifest)
		*out_manifest = m;
	else
		sp_bundle_free(m);
	return 0;
}

int sp_bundle_extract(const char *bundle_path, const char *staging_parent,
		      const struct sp_bundle_limits *lim, struct sp_diags *d, char **out_dir)
{
	return sp_bundle_extract_manifest(bundle_path, staging_parent, lim, d, out_dir, NULL);
}
