/* bundle.h — source bundles: read, check, safely extract, and build them.
 *
 * A source bundle is what a user uploads: a zip (Elastic Beanstalk's format) or, as a
 * convenience, a tar, tar.gz/tgz (also tar.bz2, tar.xz). Its bytes are hostile until
 * proven otherwise. Everything here reads the archive with libarchive as a stream (the
 * file is never held in memory: memory use is bounded by the number of entries, not
 * their size) and produces a *manifest*: the bundle's SHA-256, every entry with its
 * path, type, size and mode, and what the bundle holds for Elastic Beanstalk
 * (Dockerrun.aws.json and its version, .ebextensions/<name>.config, platform hooks,
 * docker-compose.yml).
 *
 * Safety (errors; the bundle is refused, nothing is extracted):
 *   BUNDLE_PATH_ABSOLUTE      an entry path starting with "/"
 *   BUNDLE_PATH_DOTDOT        an entry path with a ".." component
 *   BUNDLE_PATH_TOO_LONG      an entry path longer than max_path bytes
 *   BUNDLE_PATH_TOO_DEEP      an entry path with more than max_depth components
 *   BUNDLE_PATH_CONFLICT      an entry below a file or a symlink ("a" is a file, "a/b" too)
 *   BUNDLE_NAME_NOT_UTF8      a name that is not valid UTF-8
 *   BUNDLE_NAME_CONTROL_CHAR  a name holding a control character (U+0000..U+001F, U+007F)
 *   BUNDLE_LINK_OUTSIDE       a symlink or hardlink whose target resolves outside the bundle
 *   BUNDLE_LINK_TARGET_MISSING a hardlink to an entry that is not an earlier regular file
 *   BUNDLE_SPECIAL_FILE       a device, FIFO or socket
 *   BUNDLE_DUPLICATE_ENTRY    the same path twice (two directories are allowed)
 *   BUNDLE_ENCRYPTED          an encrypted zip entry
 *   BUNDLE_CORRUPT            libarchive cannot read the archive (message says why)
 *   BUNDLE_NOT_ARCHIVE        the file is not a zip or a tar
 * Limits (errors; reading stops at once; see struct sp_bundle_limits):
 *   BUNDLE_COMPRESSED_TOO_LARGE, BUNDLE_TOO_LARGE, BUNDLE_TOO_MANY_ENTRIES, BUNDLE_RATIO
 *   (and BUNDLE_PATH_TOO_LONG / BUNDLE_PATH_TOO_DEEP above).
 * Layout mistakes (sp_bundle_open and sp_bundle_scan_dir; each with a hint that fixes it):
 *   BUNDLE_NESTED_FOLDER (error)       everything under one top folder (a zip of the
 *                                      folder instead of its contents)
 *   BUNDLE_DOCKERRUN_CASE (error)      "dockerrun.aws.json" at the root in another case
 *   BUNDLE_DOCKERRUN_MISPLACED (error) Dockerrun.aws.json only below the root (e.g. in
 *                                      .ebextensions/)
 *   BUNDLE_NO_DOCKERRUN (error)        neither Dockerrun.aws.json nor docker-compose.yml
 *                                      at the root
 *   BUNDLE_EBEXT_NOT_CONFIG (warning)  a file in .ebextensions/ not ending in ".config"
 *                                      (Elastic Beanstalk ignores it)
 *   BUNDLE_EBEXT_MISNAMED (warning)    a root folder named like .ebextensions/.platform
 *                                      but not exactly ("ebextensions", ".ebextension")
 *   BUNDLE_HOOK_NOT_EXECUTABLE (error)   a platform hook without the exec bit
 *   BUNDLE_HOOK_UNKNOWN_STAGE (warning) a folder in .platform/hooks that is not
 *                                      prebuild, predeploy or postdeploy
 *   BUNDLE_HOOK_IS_CONFIG (warning)    a <name>.config file among the hooks
 * Every diagnostic has file = the bundle's display name (as given), path = the entry
 * path; line and column are 0. The message names the entry.
 *
 * Names are read in UTF-8 whatever the process locale (a thread-local C.UTF-8 locale is
 * used while libarchive runs); nothing here changes global state.
 */
#ifndef SPROUT_BUNDLE_H
#define SPROUT_BUNDLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/base/diag.h"

/* Defaults of struct sp_bundle_limits. */
#define MAX_BUNDLE_COMPRESSED ((uint64_t)512 << 20)  /* the file itself: EB's 512 MiB */
#define MAX_BUNDLE_UNCOMPRESSED ((uint64_t)2 << 30)  /* all entry data together */
#define MAX_BUNDLE_ENTRIES ((uint64_t)100000)
#define MAX_BUNDLE_PATH ((size_t)1024)               /* bytes in one entry path */
#define MAX_BUNDLE_DEPTH ((size_t)64)                /* components in one entry path */
#define MAX_BUNDLE_RATIO ((uint64_t)100)             /* unpacked bytes per packed byte */
/* The ratio guard applies only once this much was unpacked, so small, very compressible
 * bundles (a few MB of text) are never refused. */
#define MAX_BUNDLE_RATIO_FLOOR ((uint64_t)16 << 20)
/* Small files whose contents the manifest keeps (Dockerrun.aws.json, docker-compose.yml,
 * .ebextensions/<name>.config), so a bundle can be validated without extracting it. */
#define MAX_BUNDLE_KEPT_FILE ((size_t)4 << 20)
#define MAX_BUNDLE_KEPT_TOTAL ((size_t)16 << 20)
/* Symlink hops followed when resolving a link target inside the bundle. */
#define MAX_BUNDLE_LINK_HOPS 40

struct sp_bundle_limits {
	uint64_t max_compressed;   /* bytes of the bundle file */
	uint64_t max_uncompressed; /* bytes of all entries together (sparse holes count) */
	uint64_t max_entries;      /* entries, directories included */
	size_t max_path;           /* bytes of one entry path */
	size_t max_depth;          /* components of one entry path */
	uint64_t max_ratio;        /* unpacked / packed, checked past MAX_BUNDLE_RATIO_FLOOR */
};

#define SP_BUNDLE_LIMITS_DEFAULT                                                          \
	((struct sp_bundle_limits){ MAX_BUNDLE_COMPRESSED, MAX_BUNDLE_UNCOMPRESSED,       \
				    MAX_BUNDLE_ENTRIES, MAX_BUNDLE_PATH, MAX_BUNDLE_DEPTH,  \
				    MAX_BUNDLE_RATIO })

enum sp_bundle_entry_type {
	SP_BUNDLE_FILE = 0,
	SP_BUNDLE_DIR,
	SP_BUNDLE_SYMLINK,
	SP_BUNDLE_HARDLINK,
};

struct sp_bundle_entry {
	const char *path;        /* normalised: no "./", no "//", no trailing "/" */
	enum sp_bundle_entry_type type;
	uint64_t size;           /* bytes of data (files); 0 otherwise */
	unsigned mode;           /* permission bits as stored (& 0777) */
	const char *link_target; /* SYMLINK: target as stored; HARDLINK: entry path; else NULL */
};

struct sp_bundle_hook {
	const char *path;   /* ".platform/hooks/predeploy/01_migrate.sh" */
	const char *stage;  /* "prebuild", "predeploy", "postdeploy" (or the unknown name) */
	bool confighook;    /* under .platform/confighooks/ rather than .platform/hooks/ */
	bool executable;    /* any exec bit set (for a symlink: its target's) */
};

struct sp_bundle; /* opaque: the manifest; owns every string it hands out */

/* Opens a zip or tar bundle, reads every entry (data included, to learn real sizes and
 * check CRCs) without writing anything, and checks safety, limits and layout.
 * lim may be NULL for SP_BUNDLE_LIMITS_DEFAULT. The display name in diagnostics is path.
 * Returns 0 and *out when the bundle is safe to extract (layout errors such as
 * BUNDLE_NO_DOCKERRUN may still be in d: the caller decides what to make of them);
 * SP_ERROR when it is unsafe, over a limit or unreadable (errors in d); SP_EIO when the
 * file cannot be opened (diagnostic BUNDLE_IO too); SP_ENOMEM. */
int sp_bundle_open(const char *path, const struct sp_bundle_limits *lim, struct sp_diags *d,
		   struct sp_bundle **out);
/* Same, from memory (n bytes); name is used in diagnostics. For the fuzzer and the API. */
int sp_bundle_open_memory(const void *data, size_t n, const char *name,
			  const struct sp_bundle_limits *lim, struct sp_diags *d,
			  struct sp_bundle **out);

/* Extracts bundle_path into a fresh folder "<staging_parent>/sprout-staging-XXXXXX"
 * (staging_parent must exist), all or nothing: entries are checked as they are read and
 * written with openat(O_NOFOLLOW|O_EXCL) below the staging folder only; links are made
 * last, after every check passed. On any problem the staging folder is removed and
 * nothing is left behind. Files get mode 0644, or 0755 when any exec bit was set;
 * folders 0755. Layout is not checked here (see sp_bundle_check_layout).
 * On success *out_dir (caller frees) is the staging folder. Errors as sp_bundle_open. */
int sp_bundle_extract(const char *bundle_path, const char *staging_parent,
		      const struct sp_bundle_limits *lim, struct sp_diags *d, char **out_dir);
/* Same, also handing back the manifest (*out_manifest, caller frees; may be NULL). */
int sp_bundle_extract_manifest(const char *bundle_path, const char *staging_parent,
			       const struct sp_bundle_limits *lim, struct sp_diags *d,
			       char **out_dir, struct sp_bundle **out_manifest);

/* Builds the manifest of a plain folder (for `sprout validate DIR`) with the same checks
 * as sp_bundle_open: names, limits, special files, symlinks out, layout. Symlinks are not
 * followed. ".git" and ".elasticbeanstalk" at the top are skipped (never bundled).
 * The manifest has no SHA-256 (sp_bundle_sha256 returns NULL). */
int sp_bundle_scan_dir(const char *dir, const struct sp_bundle_limits *lim,
		       struct sp_diags *d, struct sp_bundle **out);

/* Adds the layout diagnostics (the list above) for a manifest; file is the display name.
 * sp_bundle_open and sp_bundle_scan_dir already call it. */
void sp_bundle_check_layout(const struct sp_bundle *b, const char *file, struct sp_diags *d);

void sp_bundle_free(struct sp_bundle *b);

/* Manifest accessors. Strings belong to the manifest. */
const char *sp_bundle_format(const struct sp_bundle *b); /* "zip", "tar", "tar.gz", ... "dir" */
const char *sp_bundle_sha256(const struct sp_bundle *b); /* 64 hex digits; NULL for a folder */
uint64_t sp_bundle_compressed_size(const struct sp_bundle *b);   /* the file's size */
uint64_t sp_bundle_uncompressed_size(const struct sp_bundle *b); /* sum of entry sizes */
size_t sp_bundle_entry_count(const struct sp_bundle *b);
const struct sp_bundle_entry *sp_bundle_entry_at(const struct sp_bundle *b, size_t i);
/* The entry at a normalised path, NULL when absent. */
const struct sp_bundle_entry *sp_bundle_find(const struct sp_bundle *b, const char *path);

bool sp_bundle_has_dockerrun(const struct sp_bundle *b); /* "Dockerrun.aws.json" at the root */
/* AWSEBDockerrunVersion as written ("1", "2", "3"), NULL when there is no Dockerrun, its
 * JSON is invalid or the key is missing (the dockerrun validator says why). */
const char *sp_bundle_dockerrun_version(const struct sp_bundle *b);
bool sp_bundle_has_compose(const struct sp_bundle *b);   /* "docker-compose.yml" at the root */
/* .ebextensions/<name>.config at the top of .ebextensions, sorted (EB's order). */
size_t sp_bundle_ebextension_count(const struct sp_bundle *b);
const char *sp_bundle_ebextension_at(const struct sp_bundle *b, size_t i);
/* Files directly in .platform/{hooks,confighooks}/<stage>/, sorted by path. */
size_t sp_bundle_hook_count(const struct sp_bundle *b);
const struct sp_bundle_hook *sp_bundle_hook_at(const struct sp_bundle *b, size_t i);
/* Contents of a kept file (Dockerrun.aws.json, docker-compose.yml, .ebextensions/<name>.config
 * up to MAX_BUNDLE_KEPT_FILE each): 0 and *data and *len (owned by the manifest, NUL-
 * terminated), SP_ENOTFOUND when no such entry, SP_ETOOBIG when it was too big to keep. */
int sp_bundle_kept_file(const struct sp_bundle *b, const char *path, const char **data,
			size_t *len);

/* The manifest as JSON: {format, sha256, compressed_size, uncompressed_size,
 * entry_count, dockerrun: {path, version} | null, docker_compose, ebextensions: [...],
 * hooks: [{path, kind, stage, executable}], entries: [{path, type, size, mode}]}.
 * NULL on allocation failure. */
json_t *sp_bundle_to_json(const struct sp_bundle *b);
const char *sp_bundle_entry_type_name(enum sp_bundle_entry_type t); /* "file", "dir", ... */

/* Building bundles the way the EB CLI does (`eb deploy`):
 *  - DIR/.ebignore present: walk DIR, skipping what .ebignore matches (gitignore syntax),
 *    .ebignore itself, .elasticbeanstalk/, .git/ and editor backups "*~";
 *  - else DIR in a git work tree: `git archive` of HEAD (opts->staged: of the index,
 *    through `git write-tree`), limited to DIR when it is a subfolder of the work tree;
 *  - else the whole folder (same walker, same fixed exclusions).
 * The zip is reproducible: the same files give the same bytes and SHA-256 whichever of
 * the three ways found them: entries in git's tree order (folders then their contents,
 * names compared as git does), no timestamps (1980-01-01 in DOS time, no extra times),
 * owner 0, mode 0644 or 0755 (exec bit kept), folders 0755, symlinks stored as links.
 * Special files are skipped (BUNDLE_SPECIAL_FILE warning). The zip is written to a
 * temporary file next to out_path and renamed into place only on success.
 * Diagnostics: BUNDLE_GIT_FAILED (git's message), BUNDLE_STAGED_NOT_GIT,
 * BUNDLE_STAGED_IGNORED (note: .ebignore wins over --staged), BUNDLE_IO, and the limits. */
enum sp_bundle_source {
	SP_BUNDLE_SRC_EBIGNORE = 0,
	SP_BUNDLE_SRC_GIT_HEAD,
	SP_BUNDLE_SRC_GIT_INDEX,
	SP_BUNDLE_SRC_DIR,
};

struct sp_bundle_create_opts {
	bool staged;                        /* archive the git index rather than HEAD */
	const struct sp_bundle_limits *lim; /* NULL: defaults (entries, size, path, depth) */
};

/* Which way sp_bundle_create would take for dir (0, or SP_EIO when dir is unreadable). */
int sp_bundle_source_for(const char *dir, bool staged, enum sp_bundle_source *out);
const char *sp_bundle_source_name(enum sp_bundle_source s); /* ".ebignore", "git HEAD", ... */
/* opts may be NULL. Returns 0, SP_ERROR (diagnostics in d), SP_EIO, SP_ENOMEM. */
int sp_bundle_create(const char *dir, const struct sp_bundle_create_opts *opts,
		     const char *out_path, struct sp_diags *d);

#endif
