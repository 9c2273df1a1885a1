/* credentials.c — where AWS credentials and the region come from (aws.h has the chain). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/aws/aws.h"
#include "engine/base/banned.h"

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	return end;
}

int sp_aws_ini_get(const char *text, const char *section, const char *key, char **out)
{
	bool in = false;
	size_t slen = strlen(section), klen = strlen(key);
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		const char *s = skip_space(line, end);
		const char *e = trim_end(s, end);
		if (s < e && *s == '[') {
			const char *close = memchr(s, ']', (size_t)(e - s));
			if (close) {
				const char *a = skip_space(s + 1, close);
				const char *b = trim_end(a, close);
				in = (size_t)(b - a) == slen && !memcmp(a, section, slen);
			} else {
				in = false;
			}
		} else if (in && s < e && *s != '#' && *s != ';') {
			const char *eq = memchr(s, '=', (size_t)(e - s));
			if (eq) {
				const char *kend = trim_end(s, eq);
				if ((size_t)(kend - s) == klen && !memcmp(s, key, klen)) {
					const char *v = skip_space(eq + 1, e);
					char *copy = sp_strndup(v, (size_t)(e - v));
					if (!copy)
						return SP_ENOMEM;
					*out = copy;
					return 0;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return SP_ENOTFOUND;
}

void sp_aws_credentials_clear(struct sp_aws_credentials *c)
{
	if (!c)
		return;
	if (c->secret_access_key)
		OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
	if (c->session_token)
		OPENSSL_cleanse(c->session_token, strlen(c->session_token));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

/* Reads a shared file; a missing file is an empty one. */
static int read_shared(const char *env, const char *home_rel, struct sp_buf *text,
		       struct sp_buf *path)
{
	const char *p = env_nonempty(env);
	int rc;
	if (p) {
		rc = sp_buf_puts(path, p);
	} else {
		const char *home = env_nonempty("HOME");
		if (!home)
			return 0;
		rc = sp_buf_printf(path, "%s/%s", home, home_rel);
	}
	if (rc)
		return rc;
	rc = sp_read_file(sp_buf_cstr(path), SP_AWS_MAX_CONFIG_FILE, text);
	if (rc == SP_EIO) {
		sp_buf_reset(text);
		return 0;
	}
	return rc;
}

static int set_creds(struct sp_aws_credentials *c, const char *id, const char *secret,
		     const char *token, const char *source)
{
	struct sp_aws_credentials t = { 0 };
	t.access_key_id = sp_strdup(id);
	t.secret_access_key = sp_strdup(secret);
	t.session_token = token && *token ? sp_strdup(token) : NULL;
	if (!t.access_key_id || !t.secret_access_key || (token && *token && !t.session_token)) {
		sp_aws_credentials_clear(&t);
		return SP_ENOMEM;
	}
	snprintf(t.source, sizeof(t.source), "%s", source);
	*c = t;
	return 0;
}

/* Looks for the three credential keys in one section of one file. */
static int creds_from_ini(const char *text, const char *section, const char *source,
			  struct sp_aws_credentials *c, bool *found)
{
	char *id = NULL, *secret = NULL, *token = NULL;
	int rc = sp_aws_ini_get(text, section, "aws_access_key_id", &id);
	if (rc == 0)
		rc = sp_aws_ini_get(text, section, "aws_secret_access_key", &secret);
	if (rc == 0) {
		rc = sp_aws_ini_get(text, section, "aws_session_token", &token);
		if (rc == SP_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0 && *id && *secret) {
		rc = set_creds(c, id, secret, token, source);
		if (rc == 0)
			*found = true;
	} else if (rc == SP_ENOTFOUND) {
		rc = 0;
	}
	free(id);
	if (secret) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	if (token) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	return rc;
}

int sp_aws_resolve(const struct sp_aws_options *o, struct sp_aws_credentials *creds,
		   char region_out[SP_AWS_MAX_NAME], struct sp_buf *msg)
{
	static const struct sp_aws_options none = { 0 };
	struct sp_buf ctext = SP_BUF_INIT(SP_AWS_MAX_CONFIG_FILE),
		      cfg = SP_BUF_INIT(SP_AWS_MAX_CONFIG_FILE), cpath = SP_BUF_INIT(4096),
		      fpath = SP_BUF_INIT(4096), sect = SP_BUF_INIT(SP_AWS_MAX_NAME + 16);
	struct sp_aws_credentials c = { 0 };
	char *region = NULL;
	bool found = false;
	int rc;

	if (!o)
		o = &none;
	const char *profile = o->profile && *o->profile ? o->profile : env_nonempty("AWS_PROFILE");
	if (!profile)
		profile = env_nonempty("AWS_DEFAULT_PROFILE");
	if (!profile)
		profile = "default";
	if (strlen(profile) >= SP_AWS_MAX_NAME) {
		rc = SP_ETOOBIG;
		goto out;
	}
	if ((rc = read_shared("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", &ctext, &cpath)) ||
	    (rc = read_shared("AWS_CONFIG_FILE", ".aws/config", &cfg, &fpath))) {
		if (msg)
			sp_buf_printf(msg, "cannot read the AWS credentials or config file (%s)",
				      sp_strerror(rc));
		goto out;
	}
	if ((rc = strcmp(profile, "default") ? sp_buf_printf(&sect, "profile %s", profile)
					      : sp_buf_puts(&sect, "default")))
		goto out;

	/* credentials */
	if (o->access_key_id && o->secret_access_key) {
		rc = set_creds(&c, o->access_key_id, o->secret_access_key, o->session_token,
			       "options");
		found = rc == 0;
	} else if (env_nonempty("AWS_ACCESS_KEY_ID") && env_nonempty("AWS_SECRET_ACCESS_KEY")) {
		rc = set_creds(&c, getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
			       env_nonempty("AWS_SESSION_TOKEN"), "environment");
		found = rc == 0;
	} else {
		char src[64];
		snprintf(src, sizeof(src), "profile %.32s (credentials file)", profile);
		rc = creds_from_ini(sp_buf_cstr(&ctext), profile, src, &c, &found);
		if (!rc && !found) {
			snprintf(src, sizeof(src), "profile %.32s (config file)", profile);
			rc = creds_from_ini(sp_buf_cstr(&cfg), sp_buf_cstr(&sect), src, &c, &found);
		}
	}
	if (rc)
		goto out;

	/* region */
	const char *r = o->region && *o->region ? o->region : env_nonempty("AWS_REGION");
	if (!r)
		r = env_nonempty("AWS_DEFAULT_REGION");
	if (!r) {
		rc = sp_aws_ini_get(sp_buf_cstr(&cfg), sp_buf_cstr(&sect), "region", &region);
		if (rc == SP_ENOTFOUND)
			rc = sp_aws_ini_get(sp_buf_cstr(&ctext), profile, "region", &region);
		if (rc && rc != SP_ENOTFOUND)
			goto out;
		rc = 0;
		r = region;
	}
	if (r && strlen(r) >= SP_AWS_MAX_NAME) {
		rc = SP_ETOOBIG;
		goto out;
	}
	if (!found) {
		rc = SP_ENOTFOUND;
		if (msg)
			sp_buf_printf(msg,
				      "no AWS credentials: set AWS_ACCESS_KEY_ID and "
				      "AWS_SECRET_ACCESS_KEY, or put aws_access_key_id and "
				      "aws_secret_access_key in profile \"%s\" of %s",
				      profile, cpath.len ? sp_buf_cstr(&cpath) : "~/.aws/credentials");
		goto out;
	}
	if (region_out)
		snprintf(region_out, SP_AWS_MAX_NAME, "%s", r ? r : "");
	*creds = c;
	memset(&c, 0, sizeof(c));
out:
	sp_aws_credentials_clear(&c);
	free(region);
	if (ctext.data)
		OPENSSL_cleanse(ctext.data, ctext.len);
	if (cfg.data)
		OPENSSL_cleanse(cfg.data, cfg.len);
	sp_buf_free(&ctext);
	sp_buf_free(&cfg);
	sp_buf_free(&cpath);
	sp_buf_free(&fpath);
	sp_buf_free(&sect);
	return rc;
}
