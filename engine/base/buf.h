/* buf.h — sprout's one owned byte buffer (with a hard maximum) and one non-owning slice.
 *
 * Models: curl's dynbuf (a cap per buffer) and git's strbuf (always NUL-terminated).
 *
 * struct sp_buf owns `data`; it is always NUL-terminated once anything was appended
 * (data may be NULL while len == 0; use sp_buf_cstr() to get "" then).
 * Every append fails with SP_ETOOBIG, leaving the buffer unchanged, when the result would
 * exceed `max` bytes (not counting the NUL). A buffer is initialised with sp_buf_init()
 * or SP_BUF_INIT(max) and released with sp_buf_free(); both are safe on a zeroed struct.
 */
#ifndef SPROUT_BUF_H
#define SPROUT_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes shared by the whole code base (functions return 0 or one of these). */
enum {
	SP_OK = 0,
	SP_ERROR = -1,    /* generic failure; details are in a diagnostics list */
	SP_ENOMEM = -2,   /* allocation failed */
	SP_ETOOBIG = -3,  /* a limit was crossed */
	SP_EINVAL = -4,   /* invalid argument or input */
	SP_EIO = -5,      /* an operating-system call failed (errno is kept) */
	SP_ENOTFOUND = -6,
	SP_EEXISTS = -7,
	SP_EUNSAFE = -8,  /* a path or entry would leave its root */
};

/* Human-readable name of an SP_E* code ("too big", ...). Never NULL. */
const char *sp_strerror(int code);

struct sp_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* hard maximum of len; 0 means SP_BUF_DEFAULT_MAX */
};

#define SP_BUF_DEFAULT_MAX ((size_t)64 << 20) /* 64 MiB unless told otherwise */
#define SP_BUF_INIT(m) { NULL, 0, 0, (m) }

void sp_buf_init(struct sp_buf *b, size_t max);
void sp_buf_free(struct sp_buf *b);
void sp_buf_reset(struct sp_buf *b);                 /* len = 0, keeps memory */
int sp_buf_append(struct sp_buf *b, const void *p, size_t n);
int sp_buf_puts(struct sp_buf *b, const char *s);
int sp_buf_putc(struct sp_buf *b, char c);
int sp_buf_printf(struct sp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sp_buf_vprintf(struct sp_buf *b, const char *fmt, va_list ap);
/* Appends s with JSON string escaping (no surrounding quotes). */
int sp_buf_put_json_escaped(struct sp_buf *b, const char *s, size_t n);
/* Returns the contents as a C string; never NULL ("" for an empty buffer). */
const char *sp_buf_cstr(const struct sp_buf *b);
/* Hands the data to the caller (who frees it) and resets the buffer; never NULL on success. */
int sp_buf_detach(struct sp_buf *b, char **out, size_t *out_len);

/* A non-owning view of bytes. */
struct sp_slice {
	const char *p;
	size_t n;
};
#define SP_SLICE_C(s) ((struct sp_slice){ (s), sizeof(s) - 1 })
struct sp_slice sp_slice_from(const char *s);
bool sp_slice_eq(struct sp_slice a, const char *s);
bool sp_slice_startswith(struct sp_slice a, const char *prefix);

/* Strict number parsing: the whole string must be the number (no sign for unsigned, no
 * spaces, no trailing garbage), decimal only, range-checked. 0 or SP_EINVAL/SP_ETOOBIG. */
int sp_parse_i64(const char *s, int64_t *out);
int sp_parse_u64(const char *s, uint64_t *out);

/* Reads a whole regular file of at most max bytes into b. SP_ETOOBIG past max, SP_EIO
 * (errno kept) when it cannot be read. */
int sp_read_file(const char *path, size_t max, struct sp_buf *b);

/* xstrdup-like helpers returning NULL only on allocation failure. */
char *sp_strdup(const char *s);
char *sp_strndup(const char *s, size_t n);
char *sp_aprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The candidate nearest to word by edit distance, when close enough to be a plausible
 * typo (distance <= max(1, strlen(word)/3)); NULL otherwise. Case-insensitive. */
const char *sp_suggest(const char *word, const char *const *candidates, size_t n);
size_t sp_edit_distance(const char *a, const char *b);

/* true when s is valid UTF-8 (no overlongs, no surrogates) of length n. */
bool sp_utf8_valid(const char *s, size_t n);

#endif
