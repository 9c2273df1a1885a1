/* session.h — the web console's sign-in sessions, kept in memory by the engine.
 *
 * The console signs in once with the admin token (POST /api/v1/session) and then uses
 * an HttpOnly, SameSite=Strict cookie holding a random session id, plus a CSRF token
 * the page keeps in memory and sends as X-CSRF-Token on every change. docs/console.md
 * tells the whole story; this header is the table and the checks.
 *
 * Sessions live only in the engine's memory: a restart signs everyone out (the console
 * then shows its sign-in form again), and nothing about them is ever written to disk.
 * A session ends when it has been idle SP_SESSION_IDLE_S, at SP_SESSION_MAX_AGE_S after
 * sign-in whatever happens, at sign-out, and when the admin token it was made with is
 * rotated (each session remembers a fingerprint of that token).
 *
 * The table holds at most MAX_SESSIONS; a new sign-in when it is full first drops expired
 * sessions, then the least recently used one.
 *
 * Thread-safe: every function takes the table's lock. Times are milliseconds (the
 * caller passes "now", so tests need no clock). Ids and CSRF tokens are
 * SP_SESSION_SECRET_LEN hex digits of getrandom(2) bytes and are compared in constant
 * time.
 */
#ifndef SPROUT_SESSION_H
#define SPROUT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_SESSION_COOKIE "sprout_session"
#define SP_SESSION_SECRET_LEN 64                   /* hex of 32 random bytes */
#define SP_SESSION_IDLE_S (2 * 3600)               /* idle sessions end after 2 h */
#define SP_SESSION_MAX_AGE_S (12 * 3600)           /* every session ends 12 h after sign-in */
#define MAX_SESSIONS 256                           /* sessions held at once */
#define MAX_COOKIE_HEADER 8192                     /* longer Cookie headers are ignored */

struct sp_sessions; /* opaque */

/* What a caller learns about a session (copies; nothing to free). */
struct sp_session_info {
	char id[SP_SESSION_SECRET_LEN + 1];   /* the cookie's value */
	char csrf[SP_SESSION_SECRET_LEN + 1]; /* the X-CSRF-Token the session expects */
	int64_t created_ms;
	int64_t expires_ms;      /* created + SP_SESSION_MAX_AGE_S */
	int64_t idle_expires_ms; /* last use + SP_SESSION_IDLE_S */
};

/* 0 or SP_ENOMEM. */
int sp_sessions_new(struct sp_sessions **out);
void sp_sessions_free(struct sp_sessions *s);
/* Live sessions (expired ones still held count until they are swept). */
size_t sp_sessions_count(struct sp_sessions *s);

/* Starts a session for a caller who presented the admin token whose fingerprint is
 * token_tag (any string up to SP_SESSION_SECRET_LEN characters, e.g. its SHA-256 hex).
 * 0, SP_EIO (no randomness), SP_EINVAL (token_tag too long). */
int sp_session_create(struct sp_sessions *s, const char *token_tag, int64_t now_ms,
		      struct sp_session_info *out);

/* Finds the live session whose id is the id_len bytes at id, made with the token whose
 * fingerprint is token_tag, and marks it used now. 0 and *out; SP_ENOTFOUND when there
 * is none, it expired, or the token changed since (such a session is removed). */
int sp_session_lookup(struct sp_sessions *s, const char *id, size_t id_len,
		      const char *token_tag, int64_t now_ms, struct sp_session_info *out);

/* Ends the session with that id. 0 or SP_ENOTFOUND. */
int sp_session_end(struct sp_sessions *s, const char *id, size_t id_len);

/* Whether presented (may be NULL) is the session's CSRF token (constant time). */
bool sp_session_csrf_valid(const struct sp_session_info *si, const char *presented);

/* Finds cookie `name` in a Cookie request header ("a=1; name=value; b=2"): *value and
 * *len get the first one's value (not copied; surrounding double quotes removed).
 * 0 or SP_ENOTFOUND (absent, or the header is longer than MAX_COOKIE_HEADER). */
int sp_cookie_find(const char *header, const char *name, const char **value, size_t *len);

#endif
