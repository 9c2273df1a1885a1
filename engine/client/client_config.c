/* client_config.c — where the engine URL and token come from (client.h lists the order). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "engine/client/client.h"
#include "engine/base/doc.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

const char *sp_client_source_name(enum sp_client_source s)
{
	switch (s) {
	case SP_SRC_FLAG: return "command line";
	case SP_SRC_ENV: return "environment";
	case SP_SRC_USER_CONFIG: return "user config";
	case SP_SRC_PROJECT: return "project config";
	case SP_SRC_DATA_DIR: return "data dir";
	default: return "default";
	}
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

int sp_client_settings_from_env(struct sp_client_settings *s, struct sp_buf *scratch1,
				struct sp_buf *scratch2)
{
	const char *xdg = nonempty(getenv("XDG_CONFIG_HOME")), *home = nonempty(getenv("HOME"));
	int rc = 0;
	s->env_endpoint = nonempty(getenv("SPROUT_ENDPOINT"));
	s->env_token = nonempty(getenv("SPROUT_TOKEN"));
	s->user_config_path = NULL;
	s->data_dir = NULL;
	sp_buf_reset(scratch1);
	sp_buf_reset(scratch2);
	if (xdg)
		rc = sp_buf_printf(scratch1, "%s/sprout/config", xdg);
	else if (home)
		rc = sp_buf_printf(scratch1, "%s/.config/sprout/config", home);
	if (rc)
		return rc;
	if (scratch1->len)
		s->user_config_path = sp_buf_cstr(scratch1);
	if (sp_data_dir_resolve(NULL, scratch2) == 0 && scratch2->len)
		s->data_dir = sp_buf_cstr(scratch2);
	return 0;
}

void sp_client_config_free(struct sp_client_config *c)
{
	if (!c)
		return;
	free(c->endpoint);
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	memset(c, 0, sizeof(*c));
}

int sp_client_endpoint_normalize(const char *url, struct sp_buf *out)
{
	size_t n = url ? strlen(url) : 0, skip;
	if (n == 0 || n >= MAX_CLIENT_URL)
		return SP_EINVAL;
	if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else
		return SP_EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)url[i];
		if (ch <= 0x20 || ch == 0x7f || ch == '?' || ch == '#')
			return SP_EINVAL;
	}
	const char *host = url + skip;
	if (*host == '/' || *host == '\0' || strchr(host, '@'))
		return SP_EINVAL;
	while (n > skip && url[n - 1] == '/')
		n--;
	if (n >= skip + 7 && strncmp(url + n - 7, "/api/v1", 7) == 0)
		n -= 7;
	while (n > skip && url[n - 1] == '/')
		n--;
	if (n == skip)
		return SP_EINVAL;
	sp_buf_reset(out);
	return sp_buf_append(out, url, n);
}

/* true when the endpoint's host is this machine: 127.0.0.0/8, localhost, ::1. */
static bool endpoint_is_local(const char *endpoint)
{
	const char *h = strstr(endpoint, "://");
	if (!h)
		return false;
	h += 3;
	if (strncmp(h, "[::1]", 5) == 0)
		return true;
	size_t n = strcspn(h, ":/");
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return true;
	return n >= 9 && strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") >= n;
}

/* --- the user's config file --------------------------------------------------------- */

static char *trim_dup(const char *p, size_t n)
{
	while (n && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	if (n >= 2 && ((p[0] == '"' && p[n - 1] == '"') || (p[0] == '\'' && p[n - 1] == '\''))) {
		p++;
		n -= 2;
	}
	return sp_strndup(p, n);
}

/* A `key = value` line: an identifier, optional blanks, '='. */
static bool is_kv_line(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || !isalpha((unsigned char)p[i]))
		return false;
	while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '_' || p[i] == '-'))
		i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == '=';
}

static bool is_blank_or_comment(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && isspace((unsigned char)p[i]))
		i++;
	return i == n || p[i] == '#';
}

static void take_value(char **slot, char *v)
{
	free(*slot);
	*slot = v;
}

static int parse_kv(const char *text, size_t len, const char *file, struct sp_diags *d,
		    char **endpoint, char **token)
{
	static const char *const known[] = { "endpoint", "token" };
	const char *p = text, *end = text + len;
	int line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		if (!is_blank_or_comment(p, n)) {
			const char *eq = memchr(p, '=', n);
			char *key = trim_dup(p, (size_t)(eq - p));
			char *val = trim_dup(eq + 1, n - (size_t)(eq + 1 - p));
			if (!key || !val) {
				free(key);
				free(val);
				return SP_ENOMEM;
			}
			struct sp_loc loc = { file, line, 1, "" };
			if (strcmp(key, "endpoint") == 0)
				take_value(endpoint, val);
			else if (strcmp(key, "token") == 0)
				take_value(token, val);
			else {
				const char *near = sp_suggest(key, known, 2);
				sp_diag_add(d, SP_SEV_WARNING, "CLIENT_CONFIG_UNKNOWN_KEY", loc,
					    near ? "did you mean one of: endpoint, token?" : NULL,
					    "unknown key \"%s\" (sprout reads endpoint and token)", key);
				free(val);
			}
			free(key);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int parse_yaml(const char *text, size_t len, const char *file, struct sp_diags *d,
		      char **endpoint, char **token)
{
	static const char *const known[] = { "endpoint", "token" };
	struct sp_doc *doc = NULL;
	struct sp_doc_limits lim = SP_DOC_LIMITS_DEFAULT;
	lim.max_input = MAX_CLIENT_CONFIG;
	int rc = sp_doc_load(text, len, file, SP_DOC_YAML, &lim, d, &doc);
	if (rc)
		return rc == SP_ENOMEM ? rc : SP_ERROR;
	const struct sp_node *root = sp_doc_root(doc);
	if (root->type == SP_NODE_NULL)
		goto out;
	if (root->type != SP_NODE_MAP) {
		sp_diag_node(d, SP_SEV_ERROR, "CLIENT_CONFIG_INVALID", doc, root,
			     "write `endpoint = http://127.0.0.1:4780` and `token = ...` lines",
			     "the file must hold endpoint and token settings, not a %s",
			     sp_node_type_name(root->type));
		rc = SP_ERROR;
		goto out;
	}
	for (size_t i = 0; i < root->n; i++) {
		const char *key = root->keys[i]->text;
		const struct sp_node *v = root->items[i];
		char **slot = strcmp(key, "endpoint") == 0 ? endpoint
			      : strcmp(key, "token") == 0  ? token
							   : NULL;
		if (!slot) {
			sp_diag_node(d, SP_SEV_WARNING, "CLIENT_CONFIG_UNKNOWN_KEY", doc, root->keys[i],
				     sp_suggest(key, known, 2) ? "did you mean one of: endpoint, token?"
							       : NULL,
				     "unknown key \"%s\" (sprout reads endpoint and token)", key);
			continue;
		}
		if (v->type != SP_NODE_STRING) {
			sp_diag_node(d, SP_SEV_ERROR, "CLIENT_CONFIG_INVALID", doc, v, NULL,
				     "%s must be a string, not a %s", key, sp_node_type_name(v->type));
			rc = SP_ERROR;
			continue;
		}
		char *copy = sp_strdup(v->text);
		if (!copy) {
			rc = SP_ENOMEM;
			goto out;
		}
		take_value(slot, copy);
	}
out:
	sp_doc_free(doc);
	return rc;
}

int sp_client_user_config_parse(const char *text, size_t len, const char *file,
				struct sp_diags *d, char **endpoint, char **token)
{
	char *e = NULL, *t = NULL;
	bool kv = true, any = false;
	int rc;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (!is_blank_or_comment(p, n)) {
			any = true;
			if (!is_kv_line(p, n))
				kv = false;
		}
		p = nl ? nl + 1 : end;
	}
	if (!any)
		rc = 0;
	else if (kv)
		rc = parse_kv(text, len, file, d, &e, &t);
	else
		rc = parse_yaml(text, len, file, d, &e, &t);
	if (rc) {
		free(e);
		free(t);
		return rc;
	}
	*endpoint = e;
	*token = t;
	return 0;
}

/* --- resolution ----------------------------------------------------------------------- */

static int read_token_file(const char *path, char **out)
{
	struct sp_buf b = SP_BUF_INIT(MAX_CLIENT_TOKEN);
	int rc = sp_read_file(path, MAX_CLIENT_TOKEN, &b);
	if (rc == 0) {
		char *t = trim_dup(sp_buf_cstr(&b), b.len);
		if (!t)
			rc = SP_ENOMEM;
		else if (!*t) {
			free(t);
			rc = SP_ENOTFOUND;
		} else
			*out = t;
	}
	if (b.data)
		explicit_bzero(b.data, b.len);
	sp_buf_free(&b);
	return rc;
}

int sp_client_config_resolve(const struct sp_client_settings *s, struct sp_diags *d,
			     struct sp_client_config *out)
{
	char *ue = NULL, *ut = NULL, *token = NULL;
	const char *endpoint = NULL;
	enum sp_client_source efrom = SP_SRC_DEFAULT, tfrom = SP_SRC_DEFAULT;
	struct sp_buf norm = SP_BUF_INIT(MAX_CLIENT_URL), text = SP_BUF_INIT(MAX_CLIENT_CONFIG);
	int rc = 0;

	if (s->user_config_path) {
		rc = sp_read_file(s->user_config_path, MAX_CLIENT_CONFIG, &text);
		if (rc == SP_EIO && (errno == ENOENT || errno == ENOTDIR)) {
			rc = 0;
		} else if (rc == SP_ETOOBIG) {
			sp_diag_add(d, SP_SEV_ERROR, "CLIENT_CONFIG_INVALID",
				    (struct sp_loc){ s->user_config_path, 0, 0, "" }, NULL,
				    "the file is larger than %zu bytes", MAX_CLIENT_CONFIG);
			rc = SP_ERROR;
			goto out;
		} else if (rc) {
			sp_diag_add(d, SP_SEV_ERROR, "CLIENT_CONFIG_INVALID",
				    (struct sp_loc){ s->user_config_path, 0, 0, "" }, NULL,
				    "cannot read the file: %s", strerror(errno));
			rc = SP_ERROR;
			goto out;
		} else {
			rc = sp_client_user_config_parse(sp_buf_cstr(&text), text.len,
							 s->user_config_path, d, &ue, &ut);
			if (rc)
				goto out;
			struct stat st;
			if (ut && stat(s->user_config_path, &st) == 0 && (st.st_mode & 077))
				sp_diag_add(d, SP_SEV_WARNING, "CLIENT_CONFIG_MODE",
					    (struct sp_loc){ s->user_config_path, 0, 0, "" },
					    "chmod 600 the file",
					    "the file holds a token and others may read it (mode %03o)",
					    (unsigned)(st.st_mode & 0777));
		}
	}
	if (nonempty(s->flag_endpoint))
		endpoint = s->flag_endpoint, efrom = SP_SRC_FLAG;
	else if (nonempty(s->env_endpoint))
		endpoint = s->env_endpoint, efrom = SP_SRC_ENV;
	else if (nonempty(ue))
		endpoint = ue, efrom = SP_SRC_USER_CONFIG;
	else if (nonempty(s->project_endpoint))
		endpoint = s->project_endpoint, efrom = SP_SRC_PROJECT;
	else
		endpoint = SP_CLIENT_DEFAULT_ENDPOINT, efrom = SP_SRC_DEFAULT;
	if (sp_client_endpoint_normalize(endpoint, &norm) != 0) {
		static const char *const where[] = { "the default", "--endpoint", "SPROUT_ENDPOINT",
						     "the user config file", "config.yml sprout.endpoint",
						     "" };
		sp_diag_add(d, SP_SEV_ERROR, "CLIENT_ENDPOINT_INVALID",
			    (struct sp_loc){ efrom == SP_SRC_USER_CONFIG ? s->user_config_path
					     : efrom == SP_SRC_PROJECT ? ".elasticbeanstalk/config.yml"
								       : NULL, 0, 0, "" },
			    "an endpoint looks like http://127.0.0.1:4780",
			    "%s: \"%s\" is not an http:// or https:// URL", where[efrom], endpoint);
		rc = SP_ERROR;
		goto out;
	}
	const char *t = nonempty(s->flag_token) ? s->flag_token
			: nonempty(s->env_token) ? s->env_token
			: nonempty(ut)		 ? ut
						 : NULL;
	tfrom = nonempty(s->flag_token) ? SP_SRC_FLAG
		: nonempty(s->env_token) ? SP_SRC_ENV
		: nonempty(ut)		 ? SP_SRC_USER_CONFIG
					 : SP_SRC_DEFAULT;
	if (t && !(token = sp_strdup(t))) {
		rc = SP_ENOMEM;
		goto out;
	}
	if (!t && s->data_dir && endpoint_is_local(sp_buf_cstr(&norm))) {
		char *path = sp_aprintf("%s/admin.token", s->data_dir);
		if (path && read_token_file(path, &token) == 0)
			tfrom = SP_SRC_DATA_DIR;
		free(path);
	}
	char *ep = NULL;
	size_t n;
	if ((rc = sp_buf_detach(&norm, &ep, &n)))
		goto out;
	out->endpoint = ep;
	out->token = token;
	token = NULL;
	out->endpoint_from = efrom;
	out->token_from = tfrom;
out:
	free(ue);
	if (ut)
		explicit_bzero(ut, strlen(ut));
	free(ut);
	free(token);
	if (text.data)
		explicit_bzero(text.data, text.len);
	sp_buf_free(&text);
	sp_buf_free(&norm);
	return rc;
}
