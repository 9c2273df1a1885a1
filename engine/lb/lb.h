/* lb.h — the load balancer: one HAProxy master-worker process, its configuration and its
 * runtime API. Facts: ../shared/reference/external-apis.md §6; design: docs/load-balancer.md.
 *
 * Two halves:
 *  - configuration (pure): a set of sites (one per environment: an address, a frontend
 *    per enabled listener, a backend per instance port with the plan's health check and
 *    one server per instance) rendered to haproxy.cfg text;
 *  - process: sp_lb_apply writes the config (temp + rename after `haproxy -c` accepts
 *    it), starts the master (`haproxy -W -S <dir>/master.sock -f <dir>/haproxy.cfg -p
 *    <dir>/haproxy.pid`) when none runs, else saves the servers' runtime state to the
 *    server-state file and sends `reload` on the master socket, then waits for the new
 *    worker. Old workers finish their connections (hard-stop-after), so no connection
 *    is dropped. Runtime commands go to <dir>/admin.sock (`stats socket ... level admin`).
 *
 * The master is detached (double fork, own session) so it outlives the process that
 * started it; its pid is in <dir>/haproxy.pid and sp_lb_stop ends it. A later sp_lb_open
 * on the same dir finds it again.
 *
 * Names: frontend "fe_<site>_<port>", backend "be_<site>_<instancePort>_<http|tcp>" (a
 * frontend and its backend must share a mode), server = the instance id. Site names are
 * environment names ([A-Za-z0-9-]).
 */
#ifndef SPROUT_LB_H
#define SPROUT_LB_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/base/buf.h"

#define SP_LB_MAX_SITES 200        /* MAX_LB_SITES: environments behind one HAProxy */
#define SP_LB_MAX_LISTENERS 16     /* MAX_LB_LISTENERS per site */
#define SP_LB_MAX_SERVERS 256      /* MAX_LB_SERVERS per site */
#define SP_LB_MAX_NAME 64          /* MAX_LB_NAME: site and server names */
#define SP_LB_MAX_ANSWER ((size_t)4 << 20) /* MAX_LB_ANSWER: one runtime API answer */
#define SP_LB_RELOAD_TIMEOUT_MS 10000
#define SP_LB_HARD_STOP_AFTER_S 30

enum sp_lb_proto { SP_LB_HTTP = 0, SP_LB_TCP = 1 };

struct sp_lb_listener {
	int port;                     /* frontend port on the site address */
	enum sp_lb_proto protocol;    /* frontend mode */
	int instance_port;            /* backend port on every instance */
	enum sp_lb_proto instance_protocol;
};

/* A parsed health check target ("HTTP:80/health", "TCP:80"). */
struct sp_lb_health {
	enum sp_lb_proto protocol;
	int port;
	char path[256];               /* "/" when none; HTTP only */
	int interval_s, timeout_s, healthy_threshold, unhealthy_threshold;
};

struct sp_lb_server {
	const char *name;             /* instance id */
	const char *address;          /* instance address */
	bool draining;                /* leaving: rendered with weight 0 (no new traffic) */
};

struct sp_lb_site {
	const char *name;
	const char *address;
	const struct sp_lb_listener *listeners;
	size_t n_listeners;
	struct sp_lb_health health;
	const struct sp_lb_server *servers;
	size_t n_servers;
};

struct sp_lb_config {
	const char *dir;              /* absolute: sockets and state live here */
	const struct sp_lb_site *sites;
	size_t n_sites;
};

/* Parses "HTTP:80/path", "TCP:80", "HTTPS:443/x", "SSL:443" (HTTPS and SSL are checked
 * as TCP connects: the local LB does no TLS). SP_EINVAL on anything else; protocol, port
 * and path are written on success only. */
int sp_lb_parse_target(const char *target, struct sp_lb_health *h);

/* Renders haproxy.cfg. SP_EINVAL for names with characters HAProxy does not take or
 * limits crossed. */
int sp_lb_render(const struct sp_lb_config *c, struct sp_buf *out);

/* One server's state as `show stat` reports it. */
struct sp_lb_server_stat {
	char backend[128];
	char server[SP_LB_MAX_NAME + 1];
	char status[32];          /* UP, DOWN, MAINT, DRAIN, "UP 1/3", "no check" ... */
	char check_status[32];    /* L7OK, L4CON, INI, ... */
	long sessions;            /* scur */
	long total;               /* stot */
};

/* Parses `show stat` CSV into servers only (not FRONTEND/BACKEND rows). *out is
 * malloc'd. */
int sp_lb_parse_stat(const char *csv, struct sp_lb_server_stat **out, size_t *n);

struct sp_lb; /* opaque: a handle on <dir> and the master living there */

/* haproxy_bin NULL: "haproxy" from PATH. Creates dir. Does not start anything. */
int sp_lb_open(const char *dir, const char *haproxy_bin, struct sp_lb **out);
void sp_lb_close(struct sp_lb *lb);       /* leaves the master running */
bool sp_lb_running(struct sp_lb *lb);
int sp_lb_master_pid(struct sp_lb *lb);   /* 0 when none */

/* `haproxy -v` works? On failure msg says how to install it. */
int sp_lb_check(struct sp_lb *lb, struct sp_buf *msg);

/* Writes, checks and activates c (see above). On failure err holds HAProxy's own words. */
int sp_lb_apply(struct sp_lb *lb, const struct sp_lb_config *c, struct sp_buf *err);

/* One runtime API command on the admin socket; the answer is appended to out. */
int sp_lb_command(struct sp_lb *lb, const char *cmd, struct sp_buf *out);
/* One command on the master socket (show proc, reload). */
int sp_lb_master_command(struct sp_lb *lb, const char *cmd, struct sp_buf *out);
/* set server <backend>/<server> state ready|drain|maint */
int sp_lb_set_server_state(struct sp_lb *lb, const char *backend, const char *server,
			   const char *state);
/* set server <backend>/<server> health up|stopping|down: forces the check's verdict (the
 * server counts as having passed `rise` checks); regular checks go on from there, so a
 * server that stops answering still goes DOWN after `fall` failed checks. */
int sp_lb_set_server_health(struct sp_lb *lb, const char *backend, const char *server,
			    const char *health);
int sp_lb_stats(struct sp_lb *lb, struct sp_lb_server_stat **out, size_t *n);

/* One health check as HAProxy runs it (`option httpchk GET <path>` + `http-check expect
 * status 200` for HTTP targets, a TCP connect otherwise) against address:h->port, within
 * timeout_ms. 0 when it passes, SP_ERROR when it fails, SP_EINVAL for a bad address. */
int sp_lb_probe(const struct sp_lb_health *h, const char *address, int timeout_ms);
/* Whether an HTTP answer's status line is "HTTP/1.x 200" (what `expect status 200` takes). */
bool sp_lb_status_line_ok(const char *answer, size_t n);

/* Stops the master (SIGUSR1: soft stop, then SIGTERM after timeout) and removes the pid
 * file. Not running is not an error. */
int sp_lb_stop(struct sp_lb *lb);

#endif
