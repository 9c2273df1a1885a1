/* sha256.c — SHA-256 over OpenSSL's EVP digest API. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

#include "engine/base/buf.h"
#include "engine/base/sha256.h"
#include "engine/base/banned.h"

struct sp_sha256 {
	EVP_MD_CTX *ctx;
};

int sp_sha256_new(struct sp_sha256 **out)
{
	struct sp_sha256 *h = calloc(1, sizeof(*h));
	if (!h)
		return SP_ENOMEM;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		sp_sha256_free(h);
		return SP_ENOMEM;
	}
	*out = h;
	return 0;
}

int sp_sha256_update(struct sp_sha256 *h, const void *data, size_t n)
{
	return EVP_DigestUpdate(h->ctx, data, n) == 1 ? 0 : SP_ERROR;
}

int sp_sha256_final_hex(struct sp_sha256 *h, char hex[SP_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != SP_SHA256_LEN)
		return SP_ERROR;
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[SP_SHA256_HEX_LEN] = '\0';
	return 0;
}

void sp_sha256_free(struct sp_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int sp_sha256_hex(const void *data, size_t n, char hex[SP_SHA256_HEX_LEN + 1])
{
	struct sp_sha256 *h;
	int rc = sp_sha256_new(&h);
	if (rc)
		return rc;
	rc = sp_sha256_update(h, data, n);
	if (!rc)
		rc = sp_sha256_final_hex(h, hex);
	sp_sha256_free(h);
	return rc;
}

int sp_sha256_file_hex(const char *path, char hex[SP_SHA256_HEX_LEN + 1])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return SP_EIO;
	struct sp_sha256 *h = NULL;
	int rc = sp_sha256_new(&h);
	char chunk[1 << 16];
	while (!rc) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = SP_EIO;
			break;
		}
		if (n == 0)
			break;
		rc = sp_sha256_update(h, chunk, (size_t)n);
	}
	if (!rc)
		rc = sp_sha256_final_hex(h, hex);
	sp_sha256_free(h);
	close(fd);
	return rc;
}
