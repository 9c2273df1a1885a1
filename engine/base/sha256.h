/* sha256.h — SHA-256 through OpenSSL's EVP interface, incremental or one-shot. */
#ifndef SPROUT_SHA256_H
#define SPROUT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SP_SHA256_LEN 32
#define SP_SHA256_HEX_LEN 64

struct sp_sha256; /* opaque */

int sp_sha256_new(struct sp_sha256 **out);
int sp_sha256_update(struct sp_sha256 *h, const void *data, size_t n);
/* Writes 65 bytes (64 hex digits and NUL) to hex. The context can not be reused. */
int sp_sha256_final_hex(struct sp_sha256 *h, char hex[SP_SHA256_HEX_LEN + 1]);
void sp_sha256_free(struct sp_sha256 *h);

int sp_sha256_hex(const void *data, size_t n, char hex[SP_SHA256_HEX_LEN + 1]);
/* Streams a file through SHA-256; SP_EIO when it cannot be read. */
int sp_sha256_file_hex(const char *path, char hex[SP_SHA256_HEX_LEN + 1]);

#endif
