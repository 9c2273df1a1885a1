/* ref.h — container image references: parse, validate and normalise them the way
 * Docker's distribution/reference package does (reference.go, regexp.go, normalize.go).
 *
 * Grammar (docs/dockerrun.md, reference: distribution v2.8.2):
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain '/'] path-component ['/' path-component]*
 *   domain     := domain-component ['.' domain-component]* [':' port-number]
 *                 | '[' ipv6 ']' [':' port-number]
 *   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   path-component   := [a-z0-9]+ (separator [a-z0-9]+)*     separator := . | _ | __ | -+
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest     := algorithm ':' hex{32,}    algorithm := [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*
 *
 * Normalisation (what `docker pull` does with what a user wrote):
 *  - the first component is a domain only when it holds '.' or ':' or is "localhost"
 *    (or starts with '['); otherwise the domain is "docker.io";
 *  - "index.docker.io" is rewritten to "docker.io";
 *  - on docker.io a single-component path gets the "library/" prefix
 *    ("nginx" -> "docker.io/library/nginx");
 *  - no tag and no digest means tag "latest" (sp_image_ref_string with
 *    SP_IMAGE_REF_CANONICAL writes it; the parsed struct keeps tag NULL).
 *
 * Limits: the name (domain + '/' + path) is at most SP_IMAGE_REF_MAX_NAME (255, distribution's
 * NameTotalLengthMax) characters, as written; a tag at most 128.
 *
 * Ownership: sp_image_ref_parse fills a caller-provided struct whose strings it owns;
 * release with sp_image_ref_free (safe on a zeroed struct). Nothing here prints.
 */
#ifndef SPROUT_IMAGE_REF_H
#define SPROUT_IMAGE_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"

#define SP_IMAGE_REF_MAX_NAME 255 /* MAX_IMAGE_NAME: distribution's NameTotalLengthMax */
#define SP_IMAGE_REF_MAX_TAG 128  /* MAX_IMAGE_TAG */
#define SP_IMAGE_REF_DEFAULT_DOMAIN "docker.io"
#define SP_IMAGE_REF_DEFAULT_TAG "latest"

struct sp_image_ref {
	char *domain;       /* normalised registry host[:port]; "docker.io" by default */
	char *path;         /* repository path, "library/nginx" after normalisation */
	char *tag;          /* NULL when none was written */
	char *digest;       /* "sha256:..." or NULL */
	bool domain_given;  /* the user wrote a registry host */
};

/* Parses s. On success fills *out (normalised) and returns 0. On failure returns
 * SP_EINVAL (or SP_ETOOBIG past a limit, SP_ENOMEM) and, when why is not NULL, points it
 * at a static English phrase saying what is wrong ("repository name must be lowercase"),
 * suitable after "invalid image reference: ". *out is untouched on failure. */
int sp_image_ref_parse(const char *s, struct sp_image_ref *out, const char **why);

void sp_image_ref_free(struct sp_image_ref *r);

enum sp_image_ref_form {
	SP_IMAGE_REF_CANONICAL = 0, /* docker.io/library/nginx:latest (tag "latest" added) */
	SP_IMAGE_REF_FAMILIAR,      /* nginx, org/app:1, 127.0.0.1:5000/app (as docker shows) */
	SP_IMAGE_REF_REPOSITORY,    /* docker.io/library/nginx (no tag, no digest) */
};

/* Appends the reference in the given form to out. 0 or SP_ETOOBIG/SP_ENOMEM. */
int sp_image_ref_string(const struct sp_image_ref *r, enum sp_image_ref_form form,
			struct sp_buf *out);

/* true when s is a valid reference (shorthand for parse + free). */
bool sp_image_ref_valid(const char *s);

#endif
