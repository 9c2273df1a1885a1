/* lb.c — running HAProxy: the master process, config activation, the runtime sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/base/path.h"
#include "engine/lb/lb.h"
#include "engine/base/banned.h"

struct sp_lb {
	char *dir;
	char *bin;
	char *cfg, *pidfile, *master_sock, *admin_sock, *state_file, *log;
};

int sp_lb_open(const char *dir, const char *haproxy_bin, struct sp_lb **out)
{
	if (!dir || dir[0] != '/')
		return SP_EINVAL;
	if (strlen(dir) + 16 > sizeof(((struct sockaddr_un *)0)->sun_path))
		return SP_ETOOBIG;
	struct sp_lb *lb = calloc(1, sizeof(*lb));
	if (!lb)
		return SP_ENOMEM;
	lb->dir = sp_strdup(dir);
	lb->bin = sp_strdup(haproxy_bin ? haproxy_bin : "haproxy");
	lb->cfg = sp_aprintf("%s/haproxy.cfg", dir);
	lb->pidfile = sp_aprintf("%s/haproxy.pid", dir);
	lb->master_sock = sp_aprintf("%s/master.sock", dir);
	lb->admin_sock = sp_aprintf("%s/admin.sock", dir);
	lb->state_file = sp_aprintf("%s/server-state", dir);
	lb->log = sp_aprintf("%s/haproxy.log", dir);
	if (!lb->dir || !lb->bin || !lb->cfg || !lb->pidfile || !lb->master_sock ||
	    !lb->admin_sock || !lb->state_file || !lb->log) {
		sp_lb_close(lb);
		return SP_ENOMEM;
	}
	if (sp_mkdir_p(dir, 0700)) {
		sp_lb_close(lb);
		return SP_EIO;
	}
	*out = lb;
	return 0;
}

void sp_lb_close(struct sp_lb *lb)
{
	if (!lb)
		return;
	free(lb->dir);
	free(lb->bin);
	free(lb->cfg);
	free(lb->pidfile);
	free(lb->master_sock);
	free(lb->admin_sock);
	free(lb->state_file);
	free(lb->log);
	free(lb);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The pid in the pid file when that process is alive and is an haproxy. */
int sp_lb_master_pid(struct sp_lb *lb)
{
	struct sp_buf b = SP_BUF_INIT(64);
	int pid = 0;
	int64_t v;
	if (sp_read_file(lb->pidfile, 64, &b) == 0) {
		char *nl = strchr(b.data ? b.data : "", '\n');
		if (nl)
			*nl = '\0';
		if (sp_parse_i64(sp_buf_cstr(&b), &v) == 0 && v > 1 && v < 1 << 30 &&
		    kill((pid_t)v, 0) == 0) {
			struct sp_buf cmd = SP_BUF_INIT(4096);
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)v);
			if (sp_read_file(path, 4096, &cmd) == 0 && cmd.data &&
			    strstr(cmd.data, "haproxy") && memmem(cmd.data, cmd.len, lb->cfg, strlen(lb->cfg)))
				pid = (int)v;
			sp_buf_free(&cmd);
		}
	}
	sp_buf_free(&b);
	return pid;
}

bool sp_lb_running(struct sp_lb *lb) { return sp_lb_master_pid(lb) > 0; }

/* Alive and not a zombie waiting for a reaper. */
static bool alive(int pid)
{
	char path[64];
	struct sp_buf b = SP_BUF_INIT(4096);
	bool r = false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (kill(pid, 0) == 0 && sp_read_file(path, 4096, &b) == 0 && b.data) {
		const char *p = strrchr(b.data, ')');
		r = !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
	}
	sp_buf_free(&b);
	return r;
}

/* Runs argv, output (stdout+stderr) into out; *status gets the exit status. */
static int run_capture(char *const argv[], struct sp_buf *out, int *status)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC))
		return SP_EIO;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return SP_EIO;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	char tmp[4096];
	ssize_t r;
	while ((r = read(fds[0], tmp, sizeof(tmp))) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			(void)sp_buf_append(out, tmp, (size_t)r);
	close(fds[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}

int sp_lb_check(struct sp_lb *lb, struct sp_buf *msg)
{
	struct sp_buf out = SP_BUF_INIT(65536);
	char *argv[] = { lb->bin, "-v", NULL };
	int st = 0;
	int rc = run_capture(argv, &out, &st);
	if (rc || st != 0) {
		sp_buf_reset(msg);
		sp_buf_printf(msg,
			      "HAProxy is missing (`%s -v` %s). Install it (Debian: `apt-get install "
			      "haproxy`, or `make deps`); sprout starts it by itself.",
			      lb->bin, st == 127 ? "was not found" : "failed");
		rc = SP_ENOTFOUND;
	}
	sp_buf_free(&out);
	return rc;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends one command, half-closes (the master CLI needs it), reads until EOF. */
static int socket_command(const char *path, const char *cmd, struct sp_buf *out)
{
	int fd = unix_connect(path);
	int rc = 0;
	if (fd < 0)
		return SP_EIO;
	size_t n = strlen(cmd);
	if (write(fd, cmd, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
		rc = SP_EIO;
		goto out;
	}
	shutdown(fd, SHUT_WR);
	long deadline = now_ms() + 10000;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long left = deadline - now_ms();
		if (left <= 0) {
			rc = SP_EIO;
			break;
		}
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			rc = SP_EIO;
			break;
		}
		char tmp[8192];
		ssize_t r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* the master closes abruptly when it re-executes on reload */
			if (errno != ECONNRESET)
				rc = SP_EIO;
			break;
		}
		if (r == 0)
			break;
		if (out && (rc = sp_buf_append(out, tmp, (size_t)r)))
			break;
	}
out:
	close(fd);
	return rc;
}

int sp_lb_command(struct sp_lb *lb, const char *cmd, struct sp_buf *out)
{
	return socket_command(lb->admin_sock, cmd, out);
}

int sp_lb_master_command(struct sp_lb *lb, const char *cmd, struct sp_buf *out)
{
	return socket_command(lb->master_sock, cmd, out);
}

int sp_lb_set_server_state(struct sp_lb *lb, const char *backend, const char *server,
			   const char *state)
{
	struct sp_buf out = SP_BUF_INIT(SP_LB_MAX_ANSWER);
	char *cmd = sp_aprintf("set server %s/%s state %s", backend, server, state);
	int rc = cmd ? sp_lb_command(lb, cmd, &out) : SP_ENOMEM;
	/* Success is an empty answer; "No such server." and the like are errors. */
	if (!rc && out.len && strspn(out.data, "\r\n ") != out.len)
		rc = strstr(out.data, "No such") ? SP_ENOTFOUND : SP_ERROR;
	free(cmd);
	sp_buf_free(&out);
	return rc;
}

int sp_lb_set_server_health(struct sp_lb *lb, const char *backend, const char *server,
			    const char *health)
{
	struct sp_buf out = SP_BUF_INIT(SP_LB_MAX_ANSWER);
	char *cmd = sp_aprintf("set server %s/%s health %s", backend, server, health);
	int rc = cmd ? sp_lb_command(lb, cmd, &out) : SP_ENOMEM;
	if (!rc && out.len && strspn(out.data, "\r\n ") != out.len)
		rc = strstr(out.data, "No such") ? SP_ENOTFOUND : SP_ERROR;
	free(cmd);
	sp_buf_free(&out);
	return rc;
}

bool sp_lb_status_line_ok(const char *a, size_t n)
{
	/* "HTTP/1.0 200 OK", "HTTP/1.1 200" */
	if (n < 12 || strncmp(a, "HTTP/1.", 7) || a[7] < '0' || a[7] > '9' || a[8] != ' ')
		return false;
	if (strncmp(a + 9, "200", 3))
		return false;
	return n == 12 || a[12] == ' ' || a[12] == '\r' || a[12] == '\n';
}

/* Waits for fd to be ready for events until deadline; false on timeout or error. */
static bool wait_fd(int fd, short events, long deadline)
{
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct pollfd p = { fd, events, 0 };
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		return pr > 0 && !(p.revents & POLLNVAL);
	}
}

int sp_lb_probe(const struct sp_lb_health *h, const char *address, int timeout_ms)
{
	struct sockaddr_in a;
	long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	int rc = SP_ERROR;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	if (!h || h->port < 1 || h->port > 65535 || !address || inet_pton(AF_INET, address, &a.sin_addr) != 1)
		return SP_EINVAL;
	a.sin_port = htons((uint16_t)h->port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return SP_ERROR;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int e = 0;
		socklen_t el = sizeof(e);
		if (errno != EINPROGRESS || !wait_fd(fd, POLLOUT, deadline) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0)
			goto out;
	}
	if (h->protocol != SP_LB_HTTP) {
		rc = 0; /* a TCP check passes when the connection is accepted */
		goto out;
	}
	char req[sizeof(h->path) + 64];
	int rn = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nConnection: close\r\n\r\n", h->path);
	if (rn <= 0 || (size_t)rn >= sizeof(req))
		goto out;
	size_t off = 0;
	while (off < (size_t)rn) {
		ssize_t w = send(fd, req + off, (size_t)rn - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLOUT, deadline))
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	/* The status line is all that counts. */
	char ans[256];
	size_t got = 0;
	while (got < sizeof(ans) - 1 && !memchr(ans, '\n', got)) {
		if (!wait_fd(fd, POLLIN, deadline))
			goto out;
		ssize_t r = recv(fd, ans + got, sizeof(ans) - 1 - got, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (sp_lb_status_line_ok(ans, got))
		rc = 0;
out:
	close(fd);
	return rc;
}

int sp_lb_stats(struct sp_lb *lb, struct sp_lb_server_stat **out, size_t *n)
{
	struct sp_buf b = SP_BUF_INIT(SP_LB_MAX_ANSWER);
	int rc = sp_lb_command(lb, "show stat", &b);
	if (!rc)
		rc = sp_lb_parse_stat(sp_buf_cstr(&b), out, n);
	sp_buf_free(&b);
	return rc;
}

/* Writes data to path through a temp file and rename. */
static int write_atomic(const char *path, const char *data, size_t n)
{
	char *tmp = sp_aprintf("%s.tmp", path);
	int rc = 0;
	if (!tmp)
		return SP_ENOMEM;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = SP_EIO;
		goto out;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = SP_EIO;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 && !rc)
		rc = SP_EIO;
	if (!rc && rename(tmp, path) != 0)
		rc = SP_EIO;
	if (rc)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}

/* Starts the master, detached (double fork, new session), and waits for its sockets. */
static int start_master(struct sp_lb *lb, struct sp_buf *err)
{
	unlink(lb->pidfile);
	unlink(lb->master_sock);
	pid_t pid = fork();
	if (pid < 0)
		return SP_EIO;
	if (pid == 0) {
		setsid();
		pid_t g = fork();
		if (g != 0)
			_exit(g < 0 ? 1 : 0);
		int devnull = open("/dev/null", O_RDONLY);
		int logfd = open(lb->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (devnull >= 0)
			dup2(devnull, 0);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		/* Close whatever else the parent had open (sockets, the database). */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		char *argv[] = { lb->bin, "-W", "-S", lb->master_sock, "-f", lb->cfg, "-p", lb->pidfile, NULL };
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	long deadline = now_ms() + SP_LB_RELOAD_TIMEOUT_MS;
	while (now_ms() < deadline) {
		if (sp_lb_master_pid(lb) > 0) {
			int fd = unix_connect(lb->admin_sock);
			if (fd >= 0) {
				close(fd);
				return 0;
			}
		}
		sleep_ms(20);
	}
	struct sp_buf log = SP_BUF_INIT(1 << 20);
	sp_read_file(lb->log, 1 << 20, &log);
	sp_buf_reset(err);
	const char *l = sp_buf_cstr(&log);
	size_t ln = strlen(l);
	sp_buf_printf(err, "HAProxy did not start; the end of %s: %s", lb->log,
		      ln > 600 ? l + ln - 600 : l);
	sp_buf_free(&log);
	return SP_ERROR;
}

/* Worker pids listed by `show proc` (the lines after "# workers"). */
static size_t worker_pids(struct sp_lb *lb, int *pids, size_t max)
{
	struct sp_buf out = SP_BUF_INIT(1 << 20);
	size_t n = 0;
	if (sp_lb_master_command(lb, "show proc", &out) == 0 && out.data) {
		char *w = strstr(out.data, "# workers");
		char *save = NULL;
		if (w) {
			char *end = strstr(w + 1, "\n#");
			if (end)
				*end = '\0';
			for (char *line = strtok_r(w, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
				long pid = strtol(line, NULL, 10);
				if (pid > 0 && n < max)
					pids[n++] = (int)pid;
			}
		}
	}
	sp_buf_free(&out);
	return n;
}

static bool contains(const int *v, size_t n, int x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static int reload(struct sp_lb *lb, struct sp_buf *err)
{
	enum { MAXW = 64 };
	int before[MAXW], after[MAXW];
	size_t nb = worker_pids(lb, before, MAXW);
	struct sp_buf state = SP_BUF_INIT(SP_LB_MAX_ANSWER);
	/* Keep drain/maint states across the reload (load-server-state-from-file). */
	if (sp_lb_command(lb, "show servers state", &state) == 0 && state.len)
		(void)write_atomic(lb->state_file, state.data, state.len);
	sp_buf_free(&state);
	int rc = sp_lb_master_command(lb, "reload", NULL);
	if (rc) {
		sp_buf_reset(err);
		sp_buf_printf(err, "HAProxy's master socket %s does not take `reload`", lb->master_sock);
		return rc;
	}
	long deadline = now_ms() + SP_LB_RELOAD_TIMEOUT_MS;
	while (now_ms() < deadline) {
		size_t na = worker_pids(lb, after, MAXW);
		for (size_t i = 0; i < na; i++)
			if (!contains(before, nb, after[i])) {
				int fd = unix_connect(lb->admin_sock);
				if (fd >= 0) {
					close(fd);
					return 0;
				}
			}
		sleep_ms(20);
	}
	sp_buf_reset(err);
	sp_buf_printf(err, "HAProxy did not start a new worker within %d ms after reload (see %s)",
		      SP_LB_RELOAD_TIMEOUT_MS, lb->log);
	return SP_ERROR;
}

int sp_lb_apply(struct sp_lb *lb, const struct sp_lb_config *c, struct sp_buf *err)
{
	struct sp_buf cfg = SP_BUF_INIT((size_t)8 << 20);
	struct sp_buf out = SP_BUF_INIT(65536);
	char *candidate = sp_aprintf("%s.new", lb->cfg);
	int rc, st = 0;
	if (!candidate) {
		rc = SP_ENOMEM;
		goto out;
	}
	rc = sp_lb_render(c, &cfg);
	if (rc) {
		sp_buf_reset(err);
		sp_buf_printf(err, "cannot render the HAProxy configuration: %s", sp_strerror(rc));
		goto out;
	}
	if (sp_lb_running(lb)) {
		/* The same configuration: no reload (servers' states live in the worker). */
		struct sp_buf cur = SP_BUF_INIT((size_t)8 << 20);
		bool same = sp_read_file(lb->cfg, (size_t)8 << 20, &cur) == 0 && cur.len == cfg.len &&
			    (cfg.len == 0 || memcmp(cur.data, cfg.data, cfg.len) == 0);
		sp_buf_free(&cur);
		if (same)
			goto out;
	}
	rc = write_atomic(candidate, cfg.data, cfg.len);
	if (rc)
		goto out;
	char *argv[] = { lb->bin, "-c", "-q", "-f", candidate, NULL };
	rc = run_capture(argv, &out, &st);
	if (rc || st != 0) {
		sp_buf_reset(err);
		sp_buf_printf(err, "HAProxy refuses the configuration: %s", sp_buf_cstr(&out));
		rc = rc ? rc : SP_ERROR;
		goto out;
	}
	if (rename(candidate, lb->cfg) != 0) {
		rc = SP_EIO;
		goto out;
	}
	if (sp_lb_running(lb))
		rc = reload(lb, err);
	else
		rc = start_master(lb, err);
out:
	if (candidate)
		unlink(candidate);
	free(candidate);
	sp_buf_free(&out);
	sp_buf_free(&cfg);
	return rc;
}

int sp_lb_stop(struct sp_lb *lb)
{
	int pid = sp_lb_master_pid(lb);
	if (pid <= 0)
		return 0;
	kill(pid, SIGUSR1); /* soft stop: workers finish their connections */
	long deadline = now_ms() + 5000;
	while (alive(pid) && now_ms() < deadline)
		sleep_ms(20);
	if (alive(pid)) {
		kill(pid, SIGTERM);
		deadline = now_ms() + 3000;
		while (alive(pid) && now_ms() < deadline)
			sleep_ms(20);
		if (alive(pid))
			kill(pid, SIGKILL);
	}
	unlink(lb->pidfile);
	unlink(lb->master_sock);
	unlink(lb->admin_sock);
	return 0;
}
