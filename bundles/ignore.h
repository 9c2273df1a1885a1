/* ignore.h — .ebignore matching, in gitignore syntax (what the EB CLI reads through
 * pathspec's "gitwildmatch"). Internal to bundles/.
 *
 * Supported: blank lines and "#" comments, "\#" and "\!" escapes, trailing spaces
 * trimmed (unless escaped), "!" negation (last match wins), a trailing "/" for folders
 * only, a "/" at the start or in the middle anchoring the pattern at the root (else it
 * matches the name at any depth), "*", "?", "[a-z]" / "[!a-z]" classes (never matching
 * "/"), and "**" as a whole component ("**" followed by "/" any leading folders, "/" followed by "**" all
 * below, a middle "**" component zero or more folders). As in git, a file below an ignored folder
 * stays ignored whatever a later "!" says (the walker never enters the folder).
 */
#ifndef SPROUT_BUNDLE_IGNORE_H
#define SPROUT_BUNDLE_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#define MAX_EBIGNORE_PATTERNS 10000

struct sp_ignore;

/* Parses the text of an .ebignore file. 0, SP_ENOMEM or SP_ETOOBIG. */
int sp_ignore_parse(const char *text, size_t n, struct sp_ignore **out);
void sp_ignore_free(struct sp_ignore *ig);
/* true when path (relative to the root, "/"-separated, no trailing "/") is ignored. */
bool sp_ignore_match(const struct sp_ignore *ig, const char *path, bool is_dir);
/* The wildcard matcher alone: pattern against text, "*" and "?" never matching "/". */
bool sp_wildmatch(const char *pattern, const char *text);

#endif
