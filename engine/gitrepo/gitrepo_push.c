/* gitrepo_push.c — what the hooks need from a push: the ref updates git gives them, the
 * pushed commit's subject and files, the branch's environment, and the commit's source
 * bundle built and named the way `sprout deploy` and `sprout validate` name it. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundles/bundle.h"
#include "engine/base/path.h"
#include "engine/gitrepo/gitrepo.h"
#include "engine/gitrepo/gitrepo_internal.h"
#include "engine/project/project.h"
#include "engine/base/banned.h"

#define MAX_GIT_ARGS 12
#define MAX_GIT_STDERR ((size_t)64 << 10)

/* --- running git ---------------------------------------------------------------------- */

static int wait_child(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void drain(int fd, struct sp_buf *b, bool *overflow)
{
	char buf[8192];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && b && !*overflow && sp_buf_append(b, buf, (size_t)n) != 0)
			*overflow = true;
}

int gitrepo_run(const char *repo, const char *const *args, struct sp_buf *out,
		struct sp_buf *err, int out_fd)
{
	const char *argv[MAX_GIT_ARGS + 3];
	char *gd = NULL;
	size_t n = 0;
	int po[2] = { -1, -1 }, rc = SP_EIO;
	FILE *errf = NULL;
	pid_t pid;
	bool overflow = false;
	argv[n++] = "git";
	if (repo) {
		if (!(gd = sp_aprintf("--git-dir=%s", repo)))
			return SP_ENOMEM;
		argv[n++] = gd;
	}
	for (size_t i = 0; args[i]; i++) {
		if (i >= MAX_GIT_ARGS) {
			free(gd);
			return SP_EINVAL;
		}
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	if (!(errf = tmpfile()))
		goto out;
	if (out_fd < 0 && pipe2(po, O_CLOEXEC) != 0)
		goto out;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd >= 0 ? out_fd : po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fileno(errf), 2);
	int sr = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (po[1] >= 0) {
		close(po[1]);
		po[1] = -1;
	}
	if (sr != 0) {
		errno = sr;
		goto out;
	}
	if (po[0] >= 0) {
		if (out)
			sp_buf_reset(out);
		drain(po[0], out, &overflow);
	}
	int st = wait_child(pid);
	if (err) {
		char line[1024] = "";
		rewind(errf);
		while (fgets(line, sizeof(line), errf)) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0])
				break; /* the first line that says something */
		}
		sp_buf_reset(err);
		sp_buf_puts(err, line[0] ? line : "no message");
	}
	while (out && out->len &&
	       (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
		out->data[--out->len] = '\0';
	rc = overflow ? SP_ETOOBIG : st == 0 ? 0 : SP_ERROR;
out:
	if (po[0] >= 0)
		close(po[0]);
	if (po[1] >= 0)
		close(po[1]);
	if (errf)
		fclose(errf);
	free(gd);
	return rc;
}

int sp_gitrepo_git(const char *repo, const char *const *args, struct sp_buf *out,
		   struct sp_buf *err)
{
	struct sp_buf tmp = SP_BUF_INIT(MAX_GIT_OUTPUT);
	int rc = gitrepo_run(repo, args, out ? &tmp : NULL, err, -1);
	if (rc == 0 && out) {
		sp_buf_reset(out);
		rc = sp_buf_append(out, tmp.data ? tmp.data : "", tmp.len);
	}
	sp_buf_free(&tmp);
	return rc;
}

/* --- the hook's standard input ---------------------------------------------------------- */

static bool is_hex_sha(const char *s, size_t n)
{
	if (n != 40 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool all_zero(const char *s)
{
	return s[strspn(s, "0")] == '\0';
}

void sp_ref_updates_free(struct sp_ref_update *u, size_t n)
{
	for (size_t i = 0; u && i < n; i++)
		free(u[i].ref);
	free(u);
}

int sp_gitrepo_parse_updates(const char *text, size_t len, struct sp_ref_update **out,
			     size_t *count)
{
	struct sp_ref_update *u = NULL;
	size_t n = 0;
	int rc = SP_EINVAL;
	if (len > MAX_GIT_HOOK_INPUT)
		return SP_ETOOBIG;
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			continue;
		if (n == MAX_GIT_REF_UPDATES) {
			rc = SP_ETOOBIG;
			goto fail;
		}
		const char *sp1 = memchr(line, ' ', ll);
		const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - line)) : NULL;
		if (!sp2 || !is_hex_sha(line, (size_t)(sp1 - line)) ||
		    !is_hex_sha(sp1 + 1, (size_t)(sp2 - sp1 - 1)) ||
		    (size_t)(sp1 - line) != (size_t)(sp2 - sp1 - 1) || sp2 + 1 >= line + ll ||
		    memchr(sp2 + 1, '\0', (size_t)(line + ll - sp2 - 1))) {
			rc = SP_EINVAL;
			goto fail;
		}
		struct sp_ref_update *nu = realloc(u, (n + 1) * sizeof(*u));
		if (!nu) {
			rc = SP_ENOMEM;
			goto fail;
		}
		u = nu;
		struct sp_ref_update *r = &u[n];
		memset(r, 0, sizeof(*r));
		memcpy(r->old_sha, line, (size_t)(sp1 - line));
		memcpy(r->new_sha, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		if (!(r->ref = sp_strndup(sp2 + 1, (size_t)(line + ll - sp2 - 1)))) {
			rc = SP_ENOMEM;
			goto fail;
		}
		n++;
		r->kind = all_zero(r->new_sha) ? SP_REF_DELETE
			  : all_zero(r->old_sha) ? SP_REF_CREATE
						 : SP_REF_UPDATE;
		if (strncmp(r->ref, "refs/heads/", 11) == 0 && r->ref[11])
			r->branch = r->ref + 11;
	}
	*out = u;
	*count = n;
	return 0;
fail:
	sp_ref_updates_free(u, n);
	return rc;
}

/* --- reading commits ---------------------------------------------------------------------- */

int sp_gitrepo_commit_subject(const char *repo, const char *sha, struct sp_buf *out)
{
	const char *args[] = { "log", "-1", "--format=%s", sha, "--", NULL };
	return sp_gitrepo_git(repo, args, out, NULL);
}

int sp_gitrepo_read_file(const char *repo, const char *sha, const char *path, size_t max,
			 struct sp_buf *out)
{
	struct sp_buf spec = SP_BUF_INIT(SP_PATH_MAX), size = SP_BUF_INIT(64);
	uint64_t bytes;
	int rc = sp_buf_printf(&spec, "%s:%s", sha, path);
	if (rc)
		goto out;
	const char *a_size[] = { "cat-file", "-s", sp_buf_cstr(&spec), NULL };
	rc = sp_gitrepo_git(repo, a_size, &size, NULL);
	if (rc == SP_ERROR) {
		rc = SP_ENOTFOUND; /* no such path in that commit */
		goto out;
	}
	if (rc)
		goto out;
	if (sp_parse_u64(sp_buf_cstr(&size), &bytes) != 0) {
		rc = SP_EIO;
		goto out;
	}
	if (bytes > max) {
		rc = SP_ETOOBIG;
		goto out;
	}
	const char *a_blob[] = { "cat-file", "blob", sp_buf_cstr(&spec), NULL };
	rc = sp_gitrepo_git(repo, a_blob, out, NULL);
out:
	sp_buf_free(&spec);
	sp_buf_free(&size);
	return rc;
}

int sp_gitrepo_env_for(const char *repo, const struct sp_gitrepo_conf *c, const char *branch,
		       const char *sha, struct sp_diags *d, char **env,
		       enum sp_gitrepo_env_source *src)
{
	struct sp_buf text = SP_BUF_INIT(MAX_PROJECT_CONFIG), name = SP_BUF_INIT(SP_PATH_MAX);
	struct sp_project *p = NULL;
	struct sp_diags pd;
	const char *mapped = sp_gitrepo_conf_branch(c, branch);
	int rc;
	sp_diags_init(&pd);
	if (mapped) {
		if (!(*env = sp_strdup(mapped)))
			return SP_ENOMEM;
		*src = SP_GIT_ENV_MAPPED;
		return 0;
	}
	int rd = sp_gitrepo_read_file(repo, sha, SP_PROJECT_CONFIG, MAX_PROJECT_CONFIG, &text);
	if (rd == SP_ENOTFOUND)
		goto none;
	if ((rc = sp_buf_printf(&name, "%s@%.*s:" SP_PROJECT_CONFIG, branch, SP_GIT_SHORT_SHA,
				sha)))
		goto out;
	if (rd == SP_ENOMEM || rd == SP_EIO) {
		rc = rd;
		goto out;
	}
	if (rd) {
		sp_diag_add(d, SP_SEV_WARNING, "GIT_CONFIG_UNREADABLE",
			    (struct sp_loc){ sp_buf_cstr(&name), 0, 0, "" },
			    "keep config.yml under 1 MiB", "the pushed config.yml is too large;"
			    " its branch-defaults are not used");
		goto none;
	}
	if (sp_project_parse(text.data ? text.data : "", text.len, sp_buf_cstr(&name), &pd, &p)) {
		/* a broken config.yml never blocks a push: say so and deploy nothing */
		for (size_t i = 0; i < pd.n; i++)
			if (pd.items[i].severity == SP_SEV_ERROR)
				pd.items[i].severity = SP_SEV_WARNING;
		sp_diags_merge(d, &pd);
		sp_diag_add(d, SP_SEV_WARNING, "GIT_CONFIG_UNREADABLE",
			    (struct sp_loc){ sp_buf_cstr(&name), 0, 0, "" },
			    "fix the file, or map the branch with `sprout git map APP BRANCH ENV`",
			    "the pushed config.yml cannot be read; its branch-defaults are not used");
		goto none;
	}
	const char *path[] = { "branch-defaults", branch, "environment" };
	const char *e = sp_project_get(p, path, 3);
	if (!e || !*e)
		goto none;
	if (!(*env = sp_strdup(e))) {
		rc = SP_ENOMEM;
		goto out;
	}
	*src = SP_GIT_ENV_CONFIG_YML;
	rc = 0;
	goto out;
none:
	*env = NULL;
	*src = SP_GIT_ENV_NONE;
	rc = 0;
out:
	sp_project_free(p);
	sp_diags_free(&pd);
	sp_buf_free(&text);
	sp_buf_free(&name);
	return rc;
}

/* --- bundles ---------------------------------------------------------------------------------- */

int sp_gitrepo_build_bundle(const char *repo, const char *sha, const char *workdir,
			    const char *display, struct sp_diags *d, struct sp_buf *out)
{
	struct sp_buf tar = SP_BUF_INIT(SP_PATH_MAX), zip = SP_BUF_INIT(SP_PATH_MAX);
	struct sp_buf err = SP_BUF_INIT(4096);
	char *staging = NULL;
	int fd = -1, rc;
	if ((rc = sp_buf_printf(&tar, "%s/source.tar", workdir)) ||
	    (rc = sp_buf_printf(&zip, "%s/bundle.zip", workdir)))
		goto out;
	fd = open(sp_buf_cstr(&tar), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = SP_EIO;
		goto out;
	}
	const char *a_archive[] = { "archive", "--format=tar", sha, NULL };
	rc = gitrepo_run(repo, a_archive, NULL, &err, fd);
	close(fd);
	fd = -1;
	if (rc) {
		sp_diag_add(d, SP_SEV_ERROR, "GIT_ARCHIVE_FAILED", (struct sp_loc){ sha, 0, 0, "" },
			    "check that git is installed and the repository is readable",
			    "git archive %s failed: %s", sha,
			    rc == SP_EIO ? strerror(errno) : sp_buf_cstr(&err));
		rc = SP_ERROR;
		goto out;
	}
	/* all or nothing, with every safety check of an uploaded bundle */
	struct sp_diags local;
	sp_diags_init(&local);
	rc = sp_bundle_extract(sp_buf_cstr(&tar), workdir, NULL, &local, &staging);
	if (rc == 0) {
		unlink(sp_buf_cstr(&tar));
		rc = sp_bundle_create(staging, NULL, sp_buf_cstr(&zip), &local);
	}
	/* name what the pusher knows, not the temporary files */
	int rr = sp_gitrepo_diags_rename(&local, sp_buf_cstr(&tar), display);
	if (!rr && staging)
		rr = sp_gitrepo_diags_rename(&local, staging, display);
	if (!rr)
		rr = sp_gitrepo_diags_rename(&local, sp_buf_cstr(&zip), display);
	sp_diags_merge(d, &local);
	sp_diags_free(&local);
	if (!rc)
		rc = rr;
	if (rc)
		goto out;
	sp_buf_reset(out);
	rc = sp_buf_puts(out, sp_buf_cstr(&zip));
out:
	if (fd >= 0)
		close(fd);
	if (staging)
		sp_rm_rf(staging);
	unlink(sp_buf_cstr(&tar));
	if (rc)
		unlink(sp_buf_cstr(&zip));
	free(staging);
	sp_buf_free(&tar);
	sp_buf_free(&zip);
	sp_buf_free(&err);
	return rc;
}

int sp_gitrepo_diags_rename(struct sp_diags *d, const char *prefix, const char *whole)
{
	size_t pn = strlen(prefix);
	for (size_t i = 0; i < d->n; i++) {
		char *f = d->items[i].file, *nf = NULL;
		if (!f)
			continue;
		if (strcmp(f, prefix) == 0)
			nf = sp_strdup(whole);
		else if (strncmp(f, prefix, pn) == 0 && f[pn] == '/')
			nf = sp_strdup(f + pn + 1);
		else
			continue;
		if (!nf)
			return SP_ENOMEM;
		free(f);
		d->items[i].file = nf;
	}
	return 0;
}
