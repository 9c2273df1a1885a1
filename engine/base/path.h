/* path.h — joining paths without ever leaving a root.
 *
 * Bundle entries, hook paths and `files` keys are hostile: these helpers refuse absolute
 * paths, ".." components, empty components are collapsed, and NUL or control characters
 * are refused. They work on strings only; following symlinks on disk is the caller's job
 * (bundles/ extracts with O_NOFOLLOW and checks link targets with sp_path_rel_normalize).
 */
#ifndef SPROUT_PATH_H
#define SPROUT_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"

#define SP_PATH_MAX 4096

/* Normalises a relative path: collapses "//" and "./", refuses a leading "/", any ".."
 * that would climb above the start, control characters. "a/./b//c/" -> "a/b/c".
 * When allow_dotdot is true, ".." inside the path is resolved ("a/../b" -> "b") but still
 * never climbs above the start. Result "" means the root itself.
 * Returns 0, SP_EUNSAFE (leaves the root / absolute / control chars) or SP_ETOOBIG. */
int sp_path_rel_normalize(const char *rel, bool allow_dotdot, struct sp_buf *out);

/* root + "/" + normalised rel (dotdot never allowed). SP_EUNSAFE when rel is unsafe. */
int sp_path_join(const char *root, const char *rel, struct sp_buf *out);

/* Resolves a symlink target `target` found at entry path `link_path` (both relative to
 * the same root) and returns 0 when it stays inside the root, SP_EUNSAFE otherwise. */
int sp_path_link_stays_inside(const char *link_path, const char *target);

/* Creates dir and its parents (mode 0755); 0 or SP_EIO. */
int sp_mkdir_p(const char *dir, unsigned mode);
/* Removes a tree without following symlinks; 0 or SP_EIO. A missing path is not an error. */
int sp_rm_rf(const char *path);

#endif
