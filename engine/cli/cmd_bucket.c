/* cmd_bucket.c — `sprout bucket put|get|list|rm`: the local object store (engine/bucket)
 * that Dockerrun `authentication` {bucket, key} reads private registry credentials from.
 * Object contents are printed only by `get`, and only to where the user asked. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/bucket/bucket.h"
#include "engine/cli/cli.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

static int read_input(const char *path, struct sp_buf *b)
{
	if (path && strcmp(path, "-") != 0)
		return sp_read_file(path, SP_BUCKET_MAX_OBJECT, b);
	char chunk[8192];
	size_t r;
	while ((r = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		int rc = sp_buf_append(b, chunk, r);
		if (rc)
			return rc;
	}
	return ferror(stdin) ? SP_EIO : 0;
}

static int write_output(const char *path, const struct sp_buf *b)
{
	if (!path || strcmp(path, "-") == 0) {
		if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
			return SP_EIO;
		return fflush(stdout) == 0 ? 0 : SP_EIO;
	}
	/* a secret may be in it: create 0600 */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return SP_EIO;
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = write(fd, b->data + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return SP_EIO;
		}
		off += (size_t)w;
	}
	return close(fd) == 0 ? 0 : SP_EIO;
}

static int fail(const char *what, const char *bucket, const char *key, int rc)
{
	if (key)
		fprintf(stderr, "sprout bucket %s: %s/%s: %s\n", what, bucket, key,
			rc == SP_EEXISTS ? "the key clashes with another key (a prefix of it or "
					   "one it is a prefix of)"
					 : sp_strerror(rc));
	else if (bucket)
		fprintf(stderr, "sprout bucket %s: %s: %s\n", what, bucket,
			rc == SP_ENOTFOUND ? "no such bucket" : sp_strerror(rc));
	else
		fprintf(stderr, "sprout bucket %s: %s\n", what, sp_strerror(rc));
	return SP_EXIT_FAILED;
}

static int check_names(const char *what, const char *bucket, const char *key)
{
	const char *why = NULL;
	if (bucket && sp_bucket_check_name(bucket, &why) != 0)
		return sp_cli_usage_error("bucket", "%s: invalid bucket name \"%s\": %s", what,
					  bucket, why);
	if (key && sp_bucket_check_key(key, &why) != 0)
		return sp_cli_usage_error("bucket", "%s: invalid key: %s", what, why);
	return 0;
}

int cmd_bucket(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_opt = NULL;
	struct sp_buf dir = SP_BUF_INIT(4096), obj = SP_BUF_INIT(SP_BUCKET_MAX_OBJECT);
	struct sp_bucket_list list = { 0 };
	int c, rc, ret = SP_EXIT_OK;

	/* GNU getopt permutes: options may come before or after the subcommand */
	while ((c = getopt_long(argc, argv, "d:", longopts, NULL)) != -1) {
		if (c == 'd')
			data_opt = optarg;
		else
			return SP_EXIT_USAGE; /* getopt printed why */
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs < 1)
		return sp_cli_usage_error("bucket", "missing subcommand (put, get, list or rm)");
	const char *sub = args[0];
	if (sp_data_dir_resolve(data_opt, &dir) != 0)
		return sp_cli_usage_error("bucket", "no data directory: give --data-dir or set "
						   "SPROUT_DATA_DIR");
	const char *dd = sp_buf_cstr(&dir);

	if (strcmp(sub, "put") == 0) {
		if (nargs < 3 || nargs > 4) {
			ret = sp_cli_usage_error("bucket", "put takes BUCKET KEY [FILE]");
			goto out;
		}
		if ((ret = check_names("put", args[1], args[2])) != 0)
			goto out;
		rc = read_input(nargs == 4 ? args[3] : NULL, &obj);
		if (rc) {
			fprintf(stderr, "sprout bucket put: cannot read %s: %s\n",
				nargs == 4 ? args[3] : "standard input",
				rc == SP_EIO ? strerror(errno) : sp_strerror(rc));
			ret = SP_EXIT_FAILED;
			goto out;
		}
		rc = sp_bucket_put(dd, args[1], args[2], obj.data ? obj.data : "", obj.len);
		if (rc)
			ret = fail("put", args[1], args[2], rc);
		else
			printf("stored %s/%s (%zu bytes)\n", args[1], args[2], obj.len);
	} else if (strcmp(sub, "get") == 0) {
		if (nargs < 3 || nargs > 4) {
			ret = sp_cli_usage_error("bucket", "get takes BUCKET KEY [FILE]");
			goto out;
		}
		if ((ret = check_names("get", args[1], args[2])) != 0)
			goto out;
		rc = sp_bucket_get(dd, args[1], args[2], 0, &obj);
		if (rc == 0)
			rc = write_output(nargs == 4 ? args[3] : NULL, &obj);
		if (rc)
			ret = fail("get", args[1], args[2], rc);
	} else if (strcmp(sub, "list") == 0 || strcmp(sub, "ls") == 0) {
		if (nargs > 2) {
			ret = sp_cli_usage_error("bucket", "list takes [BUCKET]");
			goto out;
		}
		if (nargs == 2 && (ret = check_names("list", args[1], NULL)) != 0)
			goto out;
		rc = nargs == 2 ? sp_bucket_list_keys(dd, args[1], &list)
				: sp_bucket_list_buckets(dd, &list);
		if (rc) {
			ret = fail("list", nargs == 2 ? args[1] : NULL, NULL, rc);
			goto out;
		}
		for (size_t i = 0; i < list.n; i++)
			printf("%s\n", list.names[i]);
	} else if (strcmp(sub, "rm") == 0) {
		if (nargs != 3) {
			ret = sp_cli_usage_error("bucket", "rm takes BUCKET KEY");
			goto out;
		}
		if ((ret = check_names("rm", args[1], args[2])) != 0)
			goto out;
		rc = sp_bucket_rm(dd, args[1], args[2]);
		if (rc)
			ret = fail("rm", args[1], args[2], rc);
	} else {
		ret = sp_cli_usage_error("bucket", "unknown subcommand '%s' (put, get, list, rm)", sub);
	}
out:
	if (obj.data)
		explicit_bzero(obj.data, obj.len);
	sp_buf_free(&obj);
	sp_buf_free(&dir);
	sp_bucket_list_release(&list);
	return ret;
}
