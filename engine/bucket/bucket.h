/* bucket.h — sprout's own small object store, standing in for the S3 buckets Elastic
 * Beanstalk reads (Dockerrun `authentication` {bucket, key} names a docker config there).
 *
 * Layout: <data_dir>/buckets/<bucket>/<key>, directories 0700, objects 0600. A key may
 * hold '/' ("team/dockercfg"): each component is a directory. Buckets exist while they
 * hold objects (a put creates one, removing its last object removes it).
 *
 * Names (untrusted: they come from bundles and the API):
 *  - bucket: S3's rules — 3..63 characters of a-z, 0-9, '.', '-'; begins and ends with a
 *    letter or digit; no "..", not an IPv4 address, no "xn--" / "sthree-" prefix, no
 *    "-s3alias" / "--ol-s3" suffix;
 *  - key: 1..SP_BUCKET_MAX_KEY bytes of UTF-8 without control characters, no leading or
 *    trailing '/', no empty, "." or ".." component, components of at most 255 bytes and
 *    not starting with ".sprout-" (sprout's temporary files).
 * Paths are walked with openat(O_NOFOLLOW) one component at a time, so a symlink planted
 * in the store never leads outside it.
 *
 * Writes go to a temporary file that is fsync'd and renamed over the object: a reader sees
 * the old object or the new one, never half of one.
 *
 * Errors: SP_EINVAL (invalid name; *why, when given, says what is wrong), SP_ENOTFOUND
 * (no such bucket or key), SP_EEXISTS (the key clashes with another: "a" and "a/b"),
 * SP_ETOOBIG (object over the caller's max or SP_BUCKET_MAX_OBJECT), SP_EIO (errno kept),
 * SP_ENOMEM. Nothing prints; object contents never appear in an error.
 */
#ifndef SPROUT_BUCKET_H
#define SPROUT_BUCKET_H

#include <stddef.h>

#include "engine/base/buf.h"

#define SP_BUCKET_MAX_OBJECT ((size_t)16 << 20) /* MAX_OBJECT bytes */
#define SP_BUCKET_MAX_KEY 1024                  /* MAX_KEY bytes (S3's limit) */
#define SP_BUCKET_MAX_LIST 100000               /* MAX_LIST entries returned */
#define SP_BUCKET_MAX_DEPTH 64                  /* MAX_KEY_DEPTH components */

/* 0 when valid, else SP_EINVAL with *why (static English, may be NULL). */
int sp_bucket_check_name(const char *bucket, const char **why);
int sp_bucket_check_key(const char *key, const char **why);

/* Stores n bytes as bucket/key, replacing any previous object. */
int sp_bucket_put(const char *data_dir, const char *bucket, const char *key,
		  const void *data, size_t n);
/* Appends the object (at most max bytes; 0 means SP_BUCKET_MAX_OBJECT) to out. */
int sp_bucket_get(const char *data_dir, const char *bucket, const char *key, size_t max,
		  struct sp_buf *out);
/* Removes the object, then directories it leaves empty (the bucket too). */
int sp_bucket_rm(const char *data_dir, const char *bucket, const char *key);

struct sp_bucket_list {
	char **names; /* sorted; owned */
	size_t n;
};
/* Bucket names (an empty list when the store is empty or missing). */
int sp_bucket_list_buckets(const char *data_dir, struct sp_bucket_list *out);
/* Keys of one bucket, sorted. SP_ENOTFOUND when the bucket does not exist. */
int sp_bucket_list_keys(const char *data_dir, const char *bucket, struct sp_bucket_list *out);
void sp_bucket_list_release(struct sp_bucket_list *l);

#endif
