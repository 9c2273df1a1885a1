/* project_git.c — what the EB CLI asks git: branch, describe, last subject, changes;
 * and the version label built from them. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/project/project.h"
#include "engine/base/banned.h"

extern char **environ;

#define MAX_GIT_OUTPUT 4096 /* bytes kept of one git answer (one line is all we need) */

/* Runs `git -C dir args...`; *out gets the first MAX_GIT_OUTPUT bytes of its standard
 * output with trailing blanks removed (the rest is read and dropped). Returns git's exit
 * status, or -1 when it could not run. */
static int git_capture(const char *dir, const char *const *args, struct sp_buf *out)
{
	const char *argv[16] = { "git", "-C", dir };
	size_t n = 3;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return -1;
	}
	sp_buf_reset(out);
	char buf[1024];
	for (;;) {
		ssize_t got = read(p[0], buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		size_t room = out->len < MAX_GIT_OUTPUT ? MAX_GIT_OUTPUT - out->len : 0;
		sp_buf_append(out, buf, (size_t)got < room ? (size_t)got : room);
	}
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r' ||
			    out->data[out->len - 1] == ' '))
		out->data[--out->len] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int take_line(struct sp_buf *b, char **out)
{
	size_t n = strcspn(sp_buf_cstr(b), "\n");
	*out = sp_strndup(sp_buf_cstr(b), n);
	return *out ? 0 : SP_ENOMEM;
}

int sp_project_git(const char *dir, struct sp_git_info *out)
{
	static const char *const inside[] = { "rev-parse", "--is-inside-work-tree", NULL };
	static const char *const branch[] = { "symbolic-ref", "--short", "-q", "HEAD", NULL };
	static const char *const describe[] = { "describe", "--always", "--abbrev=4", NULL };
	static const char *const subject[] = { "log", "-1", "--format=%s", NULL };
	static const char *const status[] = { "status", "--porcelain", "--untracked-files=no",
					      NULL };
	struct sp_git_info g = { 0 };
	struct sp_buf b = SP_BUF_INIT(MAX_GIT_OUTPUT + 1);
	int rc = 0;
	if (git_capture(dir, inside, &b) == 0 && strcmp(sp_buf_cstr(&b), "true") == 0) {
		g.is_git = true;
		if (git_capture(dir, branch, &b) == 0 && b.len)
			rc = take_line(&b, &g.branch);
		if (!rc && git_capture(dir, describe, &b) == 0 && b.len)
			rc = take_line(&b, &g.describe);
		if (!rc && git_capture(dir, subject, &b) == 0 && b.len)
			rc = take_line(&b, &g.subject);
		if (!rc && git_capture(dir, status, &b) == 0)
			g.dirty = b.len > 0;
	}
	if (!rc && !g.branch && !(g.branch = sp_strdup(SP_PROJECT_DEFAULT_BRANCH)))
		rc = SP_ENOMEM;
	sp_buf_free(&b);
	if (rc) {
		sp_git_info_free(&g);
		return rc;
	}
	*out = g;
	return 0;
}

void sp_git_info_free(struct sp_git_info *g)
{
	if (!g)
		return;
	free(g->branch);
	free(g->describe);
	free(g->subject);
	memset(g, 0, sizeof(*g));
}

int sp_project_version_label(const struct sp_git_info *g, bool staged, int64_t now_us,
			     struct sp_buf *out)
{
	time_t secs = (time_t)(now_us / 1000000);
	struct tm tm;
	char stamp[32];
	if (!localtime_r(&secs, &tm))
		return SP_EINVAL;
	snprintf(stamp, sizeof(stamp), "%02d%02d%02d_%02d%02d%02d%06lld", tm.tm_year % 100,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(now_us % 1000000));
	sp_buf_reset(out);
	int rc = sp_buf_puts(out, "app-");
	if (!rc && g && g->is_git && g->describe) {
		/* labels hold no '/' (tags may); 60 bytes keep it under EB's 100 */
		size_t k = 0;
		for (const char *p = g->describe; *p && !rc && k < 60; p++, k++)
			rc = sp_buf_putc(out, strchr("./\\ ", *p) ? '_' : *p);
		if (!rc)
			rc = sp_buf_puts(out, staged ? "-stage-" : "-");
	}
	if (!rc)
		rc = sp_buf_puts(out, stamp);
	return rc;
}
