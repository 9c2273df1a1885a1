/* gitrepo_internal.h — what gitrepo.c and gitrepo_push.c share. */
#ifndef SPROUT_GITREPO_INTERNAL_H
#define SPROUT_GITREPO_INTERNAL_H

#include "engine/base/buf.h"

/* Runs git ARGS (with "--git-dir=<repo>" first when repo is not NULL; at most 12 args),
 * stdin from /dev/null. stdout goes to out_fd when it is >= 0, else is captured into out
 * (may be NULL: dropped; trailing newlines trimmed). The first line of stderr goes to err
 * (may be NULL). 0 when git exited 0, SP_ERROR when it did not, SP_EIO when it could not
 * be run, SP_ETOOBIG when out overflowed. */
int gitrepo_run(const char *repo, const char *const *args, struct sp_buf *out,
		struct sp_buf *err, int out_fd);

#endif
