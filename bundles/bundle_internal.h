/* bundle_internal.h — what the files of bundles/ share; not for use outside bundles/.
 *
 * manifest.c builds a manifest entry by entry (bm_*), checking names as it goes;
 * bundle_read.c feeds it from libarchive, bundle_scan.c from a folder walk.
 */
#ifndef SPROUT_BUNDLE_INTERNAL_H
#define SPROUT_BUNDLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bundles/bundle.h"
#include "engine/base/buf.h"
#include "engine/base/diag.h"

struct bm_entry {
	struct sp_bundle_entry pub;
	struct sp_buf kept;  /* contents, for kept files */
	bool kept_too_big;
};

struct sp_bundle {
	char *format;
	char sha256[65];
	bool has_sha;
	uint64_t compressed_size, uncompressed_size;
	struct bm_entry *entries;
	size_t n, cap;
	/* open-addressing hash of paths -> entry index + 1 (0 = empty slot) */
	size_t *slots;
	size_t nslots;
	size_t kept_total;
	/* derived by bm_finish */
	bool has_dockerrun, has_compose;
	char *dockerrun_version;
	const char **ebext;
	size_t n_ebext;
	struct sp_bundle_hook *hooks;
	size_t n_hooks;
};

struct sp_bundle *bm_new(const char *format);

/* Checks a raw entry name and normalises it into *norm. Adds the diagnostics (file =
 * display name) and returns 0 when the name is fine, 1 when the entry must be refused
 * (diagnostic added), 2 when the name is the root itself ("./"; skip it), SP_ENOMEM. */
int bm_check_name(const char *raw, const struct sp_bundle_limits *lim, const char *file,
		  struct sp_diags *d, struct sp_buf *norm);
/* Appends an entry (path normalised). Duplicates are reported (BUNDLE_DUPLICATE_ENTRY)
 * and return 1; a second directory at the same path returns 2 (ignore it). 0 = added,
 * *idx set. */
int bm_add(struct sp_bundle *b, const char *path, enum sp_bundle_entry_type type,
	   unsigned mode, const char *link_target, const char *file, struct sp_diags *d,
	   size_t *idx);
struct bm_entry *bm_get(struct sp_bundle *b, size_t idx);
ssize_t bm_lookup(const struct sp_bundle *b, const char *path);
/* true when the path is one whose contents the manifest keeps. */
bool bm_is_kept_path(const char *path);
/* Appends data to a kept entry, within MAX_BUNDLE_KEPT_FILE / _TOTAL. */
void bm_keep(struct sp_bundle *b, size_t idx, const void *data, size_t n);
/* After every entry: symlink targets, hardlink targets, paths below non-folders.
 * Adds errors; returns the number of errors found. */
size_t bm_check_links(struct sp_bundle *b, const char *file, struct sp_diags *d);
/* Resolves a symlink entry to the entry it ends at, inside the bundle. Returns the
 * index, -1 when it leaves the bundle, -2 when it ends at nothing (dangling, inside). */
ssize_t bm_resolve(const struct sp_bundle *b, size_t idx);
/* Derives dockerrun/ebextensions/hooks lists. SP_ENOMEM or 0. */
int bm_finish(struct sp_bundle *b);

/* The extraction sink (bundle_extract.c): a fresh staging folder written only through
 * openat(O_NOFOLLOW|O_EXCL) below it. Functions return 0 or SP_EIO (errno kept). */
struct bx_sink;
int bx_sink_new(const char *parent, struct bx_sink **out);
int bx_sink_dir(struct bx_sink *s, const char *path);
int bx_sink_file_open(struct bx_sink *s, const char *path, unsigned mode);
int bx_sink_file_write(struct bx_sink *s, uint64_t off, const void *data, size_t n);
int bx_sink_file_close(struct bx_sink *s, uint64_t size);
/* Hardlinks, then symlinks (so no link exists while anything else is written). */
int bx_sink_links(struct bx_sink *s, const struct sp_bundle *b);
/* Success: hands the staging folder's path to the caller and frees the sink. */
int bx_sink_commit(struct bx_sink *s, char **out_dir);
/* Failure: removes the staging folder and frees the sink. */
void bx_sink_abort(struct bx_sink *s);

/* Name for messages: control characters and bytes that are not UTF-8 as \xNN. */
void bm_quote_name(const char *raw, struct sp_buf *out);

#endif
