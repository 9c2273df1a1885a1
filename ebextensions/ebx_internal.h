/* ebx_internal.h — what config.c and resources.c share; not part of the public API. */
#ifndef SPROUT_EBX_INTERNAL_H
#define SPROUT_EBX_INTERNAL_H

#include "ebextensions/ebextensions.h"

struct ebx_file {
	char *name;
	struct sp_doc *doc;
};

struct ebx_count {
	const char *key; /* static string */
	size_t n;
};

struct sp_ebx {
	struct ebx_file *files;
	size_t nfiles, capfiles;
	struct sp_ebx_resource *res;
	size_t nres, capres;
	struct sp_ebx_section *secs;
	size_t nsecs, capsecs;
	struct ebx_count counts[8];
	size_t ncounts;
};

/* EB's own logical IDs (all of them, whatever the environment). */
extern const char *const sp_ebx_eb_logical_ids[];
extern const size_t sp_ebx_eb_logical_ids_count;

/* true when id names a user resource or a Parameter of x. */
bool ebx_has_user_id(const struct sp_ebx *x, const char *id);

#endif
