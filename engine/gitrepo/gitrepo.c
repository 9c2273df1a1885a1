/* gitrepo.c — hosted repositories: paths, enabling, sprout.json, branch names, labels
 * (see gitrepo.h). Reading pushed commits and building bundles: gitrepo_push.c. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "engine/gitrepo/gitrepo.h"
#include "engine/gitrepo/gitrepo_internal.h"
#include "engine/store/store.h"
#include "engine/base/banned.h"

static const char *const hook_names[] = { "pre-receive", "post-receive" };

int sp_gitrepo_path(const char *data_dir, const char *app, struct sp_buf *out)
{
	if (!data_dir || !app || sp_name_problem(app, SP_MAX_APP_NAME))
		return SP_EINVAL;
	sp_buf_reset(out);
	return sp_buf_printf(out, "%s/" SP_GITREPO_DIR "/%s.git", data_dir, app);
}

/* git check-ref-format for refs/heads/<branch>, plus a length cap and UTF-8. */
const char *sp_git_branch_problem(const char *b)
{
	size_t n = b ? strlen(b) : 0;
	if (n == 0)
		return "is empty";
	if (n > MAX_GIT_BRANCH_NAME)
		return "is longer than 200 bytes";
	if (!sp_utf8_valid(b, n))
		return "is not valid UTF-8";
	if (b[0] == '-')
		return "must not start with '-'";
	if (b[0] == '/' || b[n - 1] == '/')
		return "must not start or end with '/'";
	if (b[n - 1] == '.')
		return "must not end with '.'";
	if (strcmp(b, "@") == 0 || strcmp(b, "HEAD") == 0)
		return "must not be \"@\" or \"HEAD\"";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];
		if (c < 0x20 || c == 0x7f || strchr(" ~^:?*[\\", c))
			return "must not hold spaces, control characters or any of ~ ^ : ? * [ \\";
		if (c == '.' && b[i + 1] == '.')
			return "must not hold \"..\"";
		if (c == '@' && b[i + 1] == '{')
			return "must not hold \"@{\"";
		if (c == '/' && b[i + 1] == '/')
			return "must not hold \"//\"";
		if ((i == 0 || b[i - 1] == '/') && c == '.')
			return "must not have a component starting with '.'";
		if (c == '.' && n - i >= 5 && strncmp(b + i, ".lock", 5) == 0 &&
		    (b[i + 5] == '\0' || b[i + 5] == '/'))
			return "must not have a component ending with \".lock\"";
	}
	return NULL;
}

/* --- the hook templates ------------------------------------------------------------- */

static bool holds_hooks(const char *dir)
{
	struct sp_buf p = SP_BUF_INIT(SP_PATH_MAX);
	struct stat sb;
	bool ok = true;
	for (size_t i = 0; ok && i < sizeof(hook_names) / sizeof(hook_names[0]); i++) {
		sp_buf_reset(&p);
		ok = sp_buf_printf(&p, "%s/%s", dir, hook_names[i]) == 0 &&
		     stat(sp_buf_cstr(&p), &sb) == 0 && S_ISREG(sb.st_mode);
	}
	sp_buf_free(&p);
	return ok;
}

static int take_real(const char *dir, struct sp_buf *out)
{
	char *real = realpath(dir, NULL);
	if (!real)
		return SP_ENOTFOUND;
	sp_buf_reset(out);
	int rc = sp_buf_puts(out, real);
	free(real);
	return rc;
}

int sp_gitrepo_hooks_dir_resolve(const char *exe_path, struct sp_buf *out)
{
	static const char *const below_exe[] = {
		"/../share/sprout/platform-hooks/git", /* installed: <prefix>/bin/sprout */
		"/../platform-hooks/git",              /* the source tree: build/sprout */
	};
	struct sp_buf c = SP_BUF_INIT(SP_PATH_MAX);
	int rc = SP_ENOTFOUND;
	if (exe_path) {
		const char *slash = strrchr(exe_path, '/');
		int dir_len = slash ? (int)(slash - exe_path) : 1;
		const char *dir = slash ? exe_path : ".";
		for (size_t i = 0; i < sizeof(below_exe) / sizeof(below_exe[0]); i++) {
			sp_buf_reset(&c);
			if (sp_buf_printf(&c, "%.*s%s", dir_len, dir, below_exe[i]) == 0 &&
			    holds_hooks(sp_buf_cstr(&c))) {
				rc = take_real(sp_buf_cstr(&c), out);
				goto out;
			}
		}
	}
#ifdef SPROUT_PREFIX
	if (holds_hooks(SPROUT_PREFIX "/share/sprout/platform-hooks/git"))
		rc = take_real(SPROUT_PREFIX "/share/sprout/platform-hooks/git", out);
#endif
out:
	sp_buf_free(&c);
	return rc;
}

/* --- writing files ----------------------------------------------------------------------- */

/* Writes data to path through a temp file and rename, with mode. */
static int write_file_atomic(const char *path, const char *data, size_t n, mode_t mode)
{
	char *tmp = sp_aprintf("%s.tmp-XXXXXX", path);
	int fd = -1, rc = SP_EIO;
	if (!tmp)
		return SP_ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fchmod(fd, mode) != 0)
		goto out;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The template with every "@SPROUT_BIN@" replaced by bin, single-quoted for sh. */
static int render_hook(const char *tmpl, const char *bin, struct sp_buf *out)
{
	struct sp_buf q = SP_BUF_INIT(SP_PATH_MAX * 4);
	int rc = sp_buf_putc(&q, '\'');
	for (const char *p = bin; !rc && *p; p++)
		rc = *p == '\'' ? sp_buf_puts(&q, "'\\''") : sp_buf_putc(&q, *p);
	if (!rc)
		rc = sp_buf_putc(&q, '\'');
	for (const char *p = tmpl; !rc && *p;) {
		const char *at = strstr(p, "@SPROUT_BIN@");
		if (!at) {
			rc = sp_buf_puts(out, p);
			break;
		}
		rc = sp_buf_append(out, p, (size_t)(at - p));
		if (!rc)
			rc = sp_buf_puts(out, sp_buf_cstr(&q));
		p = at + strlen("@SPROUT_BIN@");
	}
	sp_buf_free(&q);
	return rc;
}

static int install_hooks(const struct sp_gitrepo_setup *s, struct sp_buf *msg)
{
	struct sp_buf src = SP_BUF_INIT(SP_PATH_MAX), dst = SP_BUF_INIT(SP_PATH_MAX);
	struct sp_buf tmpl = SP_BUF_INIT(MAX_GIT_HOOK_TEMPLATE), text = SP_BUF_INIT(0);
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(hook_names) / sizeof(hook_names[0]); i++) {
		sp_buf_reset(&src);
		sp_buf_reset(&dst);
		sp_buf_reset(&tmpl);
		sp_buf_reset(&text);
		if ((rc = sp_buf_printf(&src, "%s/%s", s->hooks_dir, hook_names[i])) ||
		    (rc = sp_buf_printf(&dst, "%s/hooks/%s", s->repo, hook_names[i])))
			break;
		if ((rc = sp_read_file(sp_buf_cstr(&src), MAX_GIT_HOOK_TEMPLATE, &tmpl))) {
			sp_buf_printf(msg, "cannot read the hook template %s: %s", sp_buf_cstr(&src),
				      rc == SP_EIO ? strerror(errno) : sp_strerror(rc));
			rc = rc == SP_EIO && errno == ENOENT ? SP_ENOTFOUND : rc;
			break;
		}
		if ((rc = render_hook(sp_buf_cstr(&tmpl), s->sprout_bin, &text)))
			break;
		if ((rc = write_file_atomic(sp_buf_cstr(&dst), text.data, text.len, 0755)))
			sp_buf_printf(msg, "cannot write %s: %s", sp_buf_cstr(&dst), strerror(errno));
	}
	sp_buf_free(&src);
	sp_buf_free(&dst);
	sp_buf_free(&tmpl);
	sp_buf_free(&text);
	return rc;
}

/* --- sprout.json -------------------------------------------------------------------------- */

static int lock_repo(const char *repo, int *fd_out)
{
	char *p = sp_aprintf("%s/" SP_GITREPO_LOCK, repo);
	if (!p)
		return SP_ENOMEM;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(p);
	if (fd < 0)
		return errno == ENOENT ? SP_ENOTFOUND : SP_EIO;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return SP_EIO;
		}
	}
	*fd_out = fd;
	return 0;
}

static void unlock_repo(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

static int conf_read_json(const char *repo, json_t **out)
{
	struct sp_buf path = SP_BUF_INIT(SP_PATH_MAX), text = SP_BUF_INIT(MAX_GITREPO_CONF);
	int rc = sp_buf_printf(&path, "%s/" SP_GITREPO_CONF, repo);
	if (!rc)
		rc = sp_read_file(sp_buf_cstr(&path), MAX_GITREPO_CONF, &text);
	if (rc == SP_EIO && (errno == ENOENT || errno == ENOTDIR))
		rc = SP_ENOTFOUND;
	if (!rc) {
		json_t *j = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES,
				       NULL);
		if (!json_is_object(j)) {
			json_decref(j);
			rc = SP_EINVAL;
		} else {
			*out = j;
		}
	}
	sp_buf_free(&path);
	sp_buf_free(&text);
	return rc;
}

static int conf_write_json(const char *repo, const json_t *j)
{
	char *p = sp_aprintf("%s/" SP_GITREPO_CONF, repo);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = p && text ? 0 : SP_ENOMEM;
	if (!rc) {
		size_t n = strlen(text);
		char *nl = realloc(text, n + 2);
		if (!nl)
			rc = SP_ENOMEM;
		else {
			text = nl;
			text[n] = '\n';
			text[n + 1] = '\0';
			rc = write_file_atomic(p, text, n + 1, 0600);
		}
	}
	free(p);
	free(text);
	return rc;
}

static int map_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sp_gitrepo_map *)a)->branch,
		      ((const struct sp_gitrepo_map *)b)->branch);
}

void sp_gitrepo_conf_free(struct sp_gitrepo_conf *c)
{
	if (!c)
		return;
	free(c->application);
	free(c->endpoint);
	free(c->data_dir);
	for (size_t i = 0; i < c->n_maps; i++) {
		free(c->maps[i].branch);
		free(c->maps[i].environment);
	}
	free(c->maps);
	memset(c, 0, sizeof(*c));
}

static char *opt_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? sp_strdup(s) : NULL;
}

int sp_gitrepo_conf_load(const char *repo, struct sp_gitrepo_conf *out)
{
	struct sp_gitrepo_conf c = { 0 };
	json_t *j = NULL;
	int rc = conf_read_json(repo, &j);
	if (rc)
		return rc;
	json_t *br = json_object_get(j, "branches");
	if (!json_is_string(json_object_get(j, "application")) || (br && !json_is_object(br)) ||
	    json_object_size(br) > MAX_GIT_BRANCH_MAPS) {
		rc = SP_EINVAL;
		goto out;
	}
	rc = SP_ENOMEM;
	if (!(c.application = opt_str(j, "application")))
		goto out;
	c.endpoint = opt_str(j, "endpoint");
	c.data_dir = opt_str(j, "data_dir");
	if (json_object_size(br) && !(c.maps = calloc(json_object_size(br), sizeof(*c.maps))))
		goto out;
	const char *k;
	json_t *v;
	json_object_foreach(br, k, v) {
		if (!json_is_string(v) || sp_git_branch_problem(k)) {
			rc = SP_EINVAL;
			goto out;
		}
		c.maps[c.n_maps].branch = sp_strdup(k);
		c.maps[c.n_maps].environment = sp_strdup(json_string_value(v));
		if (!c.maps[c.n_maps].branch || !c.maps[c.n_maps].environment) {
			c.n_maps++;
			goto out;
		}
		c.n_maps++;
	}
	if (c.n_maps)
		qsort(c.maps, c.n_maps, sizeof(*c.maps), map_cmp);
	*out = c;
	memset(&c, 0, sizeof(c));
	rc = 0;
out:
	sp_gitrepo_conf_free(&c);
	json_decref(j);
	return rc;
}

const char *sp_gitrepo_conf_branch(const struct sp_gitrepo_conf *c, const char *branch)
{
	for (size_t i = 0; c && branch && i < c->n_maps; i++)
		if (strcmp(c->maps[i].branch, branch) == 0)
			return c->maps[i].environment;
	return NULL;
}

int sp_gitrepo_set_branch(const char *repo, const char *branch, const char *environment)
{
	json_t *j = NULL;
	int fd = -1, rc;
	if (sp_git_branch_problem(branch))
		return SP_EINVAL;
	if ((rc = lock_repo(repo, &fd)))
		return rc;
	if ((rc = conf_read_json(repo, &j)))
		goto out;
	json_t *br = json_object_get(j, "branches");
	if (!json_is_object(br)) {
		br = json_object();
		if (!br || json_object_set_new(j, "branches", br)) {
			rc = SP_ENOMEM;
			goto out;
		}
	}
	if (!environment) {
		rc = json_object_del(br, branch) == 0 ? 0 : SP_ENOTFOUND;
	} else if (!json_object_get(br, branch) && json_object_size(br) >= MAX_GIT_BRANCH_MAPS) {
		rc = SP_ETOOBIG;
	} else {
		rc = json_object_set_new(br, branch, json_string(environment)) ? SP_ENOMEM : 0;
	}
	if (!rc)
		rc = conf_write_json(repo, j);
out:
	json_decref(j);
	unlock_repo(fd);
	return rc;
}

/* --- enabling ------------------------------------------------------------------------------ */

int sp_gitrepo_enable(const struct sp_gitrepo_setup *s, bool *created, struct sp_buf *msg)
{
	struct sp_buf head = SP_BUF_INIT(SP_PATH_MAX), parent = SP_BUF_INIT(SP_PATH_MAX);
	struct sp_buf err = SP_BUF_INIT(4096);
	json_t *j = NULL;
	struct stat sb;
	bool fresh = false;
	int fd = -1, rc;
	if (!s->repo || !s->application || !s->sprout_bin || !s->hooks_dir)
		return SP_EINVAL;
	if ((rc = sp_buf_printf(&head, "%s/HEAD", s->repo)))
		goto out;
	if (stat(sp_buf_cstr(&head), &sb) != 0) {
		const char *slash = strrchr(s->repo, '/');
		if ((rc = sp_buf_append(&parent, s->repo, slash ? (size_t)(slash - s->repo) : 0)))
			goto out;
		if (parent.len && sp_mkdir_p(sp_buf_cstr(&parent), 0755) != 0) {
			sp_buf_printf(msg, "cannot create %s: %s", sp_buf_cstr(&parent),
				      strerror(errno));
			rc = SP_EIO;
			goto out;
		}
		const char *init[] = { "init", "--bare", "--quiet", "--initial-branch=main", s->repo,
				       NULL };
		if ((rc = gitrepo_run(NULL, init, NULL, &err, -1))) {
			sp_buf_printf(msg, "git init --bare %s failed: %s", s->repo,
				      rc == SP_EIO ? "cannot run git (is git installed?)"
						   : sp_buf_cstr(&err));
			rc = SP_EIO;
			goto out;
		}
		fresh = true;
	}
	/* A hosted repository checks what it receives (corrupt or hostile objects). */
	const char *fsck[] = { "config", "receive.fsckObjects", "true", NULL };
	const char *nodel[] = { "config", "receive.denyDeleteCurrent", "false", NULL };
	if (sp_gitrepo_git(s->repo, fsck, NULL, &err) != 0 ||
	    sp_gitrepo_git(s->repo, nodel, NULL, &err) != 0) {
		sp_buf_printf(msg, "git config in %s failed: %s", s->repo, sp_buf_cstr(&err));
		rc = SP_EIO;
		goto out;
	}
	if ((rc = install_hooks(s, msg)))
		goto out;
	if ((rc = lock_repo(s->repo, &fd)))
		goto out;
	rc = conf_read_json(s->repo, &j);
	if (rc == SP_ENOTFOUND || rc == SP_EINVAL) {
		j = json_object();
		rc = j ? 0 : SP_ENOMEM;
	}
	if (rc)
		goto out;
	if (json_object_set_new(j, "application", json_string(s->application)) ||
	    (s->endpoint && json_object_set_new(j, "endpoint", json_string(s->endpoint))) ||
	    (s->data_dir && json_object_set_new(j, "data_dir", json_string(s->data_dir))) ||
	    (!json_is_object(json_object_get(j, "branches")) &&
	     json_object_set_new(j, "branches", json_object()))) {
		rc = SP_ENOMEM;
		goto out;
	}
	if ((rc = conf_write_json(s->repo, j))) {
		sp_buf_printf(msg, "cannot write %s/" SP_GITREPO_CONF ": %s", s->repo,
			      strerror(errno));
		goto out;
	}
	*created = fresh;
out:
	unlock_repo(fd);
	json_decref(j);
	sp_buf_free(&head);
	sp_buf_free(&parent);
	sp_buf_free(&err);
	return rc;
}

/* --- labels ------------------------------------------------------------------------------- */

int sp_gitrepo_version_label(const char *branch, const char *sha, int64_t suffix_ms,
			     struct sp_buf *out)
{
	char suffix[32] = "";
	size_t shalen = strlen(sha ? sha : "");
	if (!branch || !*branch || shalen < SP_GIT_SHORT_SHA)
		return SP_EINVAL;
	if (suffix_ms > 0) {
		time_t t = (time_t)(suffix_ms / 1000);
		struct tm tm;
		if (!gmtime_r(&t, &tm))
			return SP_EINVAL;
		snprintf(suffix, sizeof(suffix), "-%02d%02d%02d_%02d%02d%02d", tm.tm_year % 100,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	/* characters left for the branch: the label's limit less "-<sha>" and the suffix */
	size_t room = SP_MAX_LABEL - 1 - SP_GIT_SHORT_SHA - strlen(suffix), chars = 0;
	struct sp_buf b = SP_BUF_INIT(SP_MAX_LABEL * 4 + 1);
	int rc = 0;
	for (const char *p = branch; *p && !rc; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && chars++ == room)
			break;
		rc = sp_buf_putc(&b, *p == '/' || *p == '\\' ? '-' : *p);
	}
	if (!rc)
		rc = sp_buf_printf(&b, "-%.*s%s", SP_GIT_SHORT_SHA, sha, suffix);
	if (!rc) {
		sp_buf_reset(out);
		rc = sp_buf_puts(out, sp_buf_cstr(&b));
	}
	sp_buf_free(&b);
	return rc;
}
