/* token.c — the admin token file (admin.token, mode 0600) and its comparison. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/api/api.h"
#include "engine/base/path.h"
#include "engine/base/banned.h"

#define TOKEN_FILE "admin.token"

bool sp_token_equal(const char *presented, size_t presented_len, const char *expected)
{
	size_t n = strlen(expected);
	/* Compare n bytes whatever was presented, so timing says nothing about content. */
	unsigned char diff = presented_len == n ? 0 : 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char p = i < presented_len ? (unsigned char)presented[i] : 0;
		diff |= (unsigned char)(p ^ (unsigned char)expected[i]);
	}
	return diff == 0;
}

static int random_hex(char out[SP_TOKEN_HEX_LEN + 1])
{
	unsigned char raw[SP_TOKEN_HEX_LEN / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return SP_EIO;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	out[SP_TOKEN_HEX_LEN] = '\0';
	return 0;
}

static int read_token(const char *path, char out[SP_TOKEN_HEX_LEN + 1])
{
	struct sp_buf b = SP_BUF_INIT(256);
	int rc = sp_read_file(path, 256, &b);
	if (rc)
		goto out;
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	if (b.len != SP_TOKEN_HEX_LEN || strspn(b.data, "0123456789abcdef") != b.len) {
		rc = SP_EINVAL;
		goto out;
	}
	memcpy(out, b.data, SP_TOKEN_HEX_LEN + 1);
out:
	sp_buf_free(&b);
	return rc;
}

/* Writes a fresh token to a temp file (0600) and links or renames it into place. With
 * exclusive, an existing token wins (link fails with EEXIST) — first start races. */
static int write_token(const char *data_dir, bool exclusive, char out[SP_TOKEN_HEX_LEN + 1])
{
	struct sp_buf path = SP_BUF_INIT(SP_PATH_MAX), tmp = SP_BUF_INIT(SP_PATH_MAX);
	char tok[SP_TOKEN_HEX_LEN + 1], line[SP_TOKEN_HEX_LEN + 2];
	int fd = -1, rc;
	if ((rc = random_hex(tok)) ||
	    (rc = sp_buf_printf(&path, "%s/" TOKEN_FILE, data_dir)) ||
	    (rc = sp_buf_printf(&tmp, "%s/." TOKEN_FILE ".XXXXXX", data_dir)))
		goto out;
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		rc = SP_EIO;
		goto out;
	}
	memcpy(line, tok, SP_TOKEN_HEX_LEN);
	line[SP_TOKEN_HEX_LEN] = '\n';
	if (fchmod(fd, 0600) != 0 || write(fd, line, SP_TOKEN_HEX_LEN + 1) != SP_TOKEN_HEX_LEN + 1 ||
	    fsync(fd) != 0) {
		rc = SP_EIO;
		goto out;
	}
	if (exclusive) {
		if (link(tmp.data, path.data) != 0) {
			rc = errno == EEXIST ? read_token(path.data, tok) : SP_EIO;
			if (rc)
				goto out;
		}
	} else if (rename(tmp.data, path.data) != 0) {
		rc = SP_EIO;
		goto out;
	}
	memcpy(out, tok, sizeof(tok));
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.data); /* after link (or a failed rename); harmless after rename */
	}
	sp_buf_free(&path);
	sp_buf_free(&tmp);
	return rc;
}

int sp_admin_token_ensure(const char *data_dir, char out[SP_TOKEN_HEX_LEN + 1])
{
	struct sp_buf path = SP_BUF_INIT(SP_PATH_MAX);
	int rc;
	if ((rc = sp_mkdir_p(data_dir, 0700)) ||
	    (rc = sp_buf_printf(&path, "%s/" TOKEN_FILE, data_dir)))
		goto out;
	struct stat sb;
	if (stat(path.data, &sb) != 0 && errno == ENOENT)
		rc = write_token(data_dir, true, out);
	else
		rc = read_token(path.data, out);
out:
	sp_buf_free(&path);
	return rc;
}

int sp_admin_token_rotate(const char *data_dir, char out[SP_TOKEN_HEX_LEN + 1])
{
	int rc = sp_mkdir_p(data_dir, 0700);
	return rc ? rc : write_token(data_dir, false, out);
}

int sp_listen_parse(const char *s, struct sp_buf *addr, uint16_t *port)
{
	const char *colon;
	const char *host = s;
	size_t hlen;
	if (!s || !*s)
		return SP_EINVAL;
	if (s[0] == '[') {
		const char *close_br = strchr(s, ']');
		if (!close_br || close_br[1] != ':')
			return SP_EINVAL;
		host = s + 1;
		hlen = (size_t)(close_br - host);
		colon = close_br + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return SP_EINVAL;
		hlen = (size_t)(colon - s);
	}
	uint64_t p;
	if (hlen == 0 || sp_parse_u64(colon + 1, &p) || p > 65535)
		return SP_EINVAL;
	sp_buf_reset(addr);
	if (sp_buf_append(addr, host, hlen))
		return SP_ETOOBIG;
	*port = (uint16_t)p;
	return 0;
}
