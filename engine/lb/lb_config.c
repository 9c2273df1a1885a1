/* lb_config.c — haproxy.cfg from sites, health check targets, `show stat` parsing. Pure. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lb/lb.h"
#include "engine/base/banned.h"

static bool valid_name(const char *s)
{
	size_t n = 0;
	if (!s || !*s)
		return false;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_' && s[n] != '.')
			return false;
	return n <= SP_LB_MAX_NAME;
}

static bool valid_addr(const char *s)
{
	if (!s || !*s || strlen(s) > 15)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

int sp_lb_parse_target(const char *target, struct sp_lb_health *h)
{
	enum sp_lb_proto proto;
	const char *p;
	if (!target)
		return SP_EINVAL;
	if (strncmp(target, "HTTP:", 5) == 0) {
		proto = SP_LB_HTTP;
		p = target + 5;
	} else if (strncmp(target, "HTTPS:", 6) == 0) {
		proto = SP_LB_TCP;
		p = target + 6;
	} else if (strncmp(target, "TCP:", 4) == 0) {
		proto = SP_LB_TCP;
		p = target + 4;
	} else if (strncmp(target, "SSL:", 4) == 0) {
		proto = SP_LB_TCP;
		p = target + 4;
	} else {
		return SP_EINVAL;
	}
	long port = 0;
	int digits = 0;
	while (isdigit((unsigned char)*p) && digits < 6) {
		port = port * 10 + (*p - '0');
		p++;
		digits++;
	}
	if (!digits || port < 1 || port > 65535)
		return SP_EINVAL;
	const char *path = "/";
	if (*p == '/') {
		if (proto == SP_LB_TCP && strncmp(target, "TCP:", 4) == 0)
			return SP_EINVAL; /* TCP targets have no path */
		path = p;
	} else if (*p) {
		return SP_EINVAL;
	}
	if (strlen(path) >= sizeof(h->path))
		return SP_ETOOBIG;
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '#' || *c == '\\' || *c == '"')
			return SP_EINVAL;
	h->protocol = proto;
	h->port = (int)port;
	snprintf(h->path, sizeof(h->path), "%s", path);
	return 0;
}

static const char *mode_name(enum sp_lb_proto p) { return p == SP_LB_TCP ? "tcp" : "http"; }

/* Backends are per (instance port, mode); listeners that share both share a backend. */
static bool backend_seen(const struct sp_lb_site *s, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (s->listeners[i].instance_port == s->listeners[upto].instance_port &&
		    s->listeners[i].protocol == s->listeners[upto].protocol)
			return true;
	return false;
}

static int render_site(const struct sp_lb_site *s, struct sp_buf *o)
{
	int rc = 0;
	if (!valid_name(s->name) || !valid_addr(s->address))
		return SP_EINVAL;
	if (s->n_listeners > SP_LB_MAX_LISTENERS || s->n_servers > SP_LB_MAX_SERVERS)
		return SP_ETOOBIG;
	for (size_t i = 0; i < s->n_servers; i++)
		if (!valid_name(s->servers[i].name) || !valid_addr(s->servers[i].address))
			return SP_EINVAL;
	for (size_t i = 0; i < s->n_listeners && !rc; i++) {
		const struct sp_lb_listener *l = &s->listeners[i];
		if (l->port < 1 || l->port > 65535 || l->instance_port < 1 || l->instance_port > 65535)
			return SP_EINVAL;
		rc = sp_buf_printf(o,
				   "\nfrontend fe_%s_%d\n"
				   "    mode %s\n"
				   "    bind %s:%d\n"
				   "%s"
				   "    default_backend be_%s_%d_%s\n",
				   s->name, l->port, mode_name(l->protocol), s->address, l->port,
				   l->protocol == SP_LB_HTTP ? "    option forwardfor\n" : "",
				   s->name, l->instance_port, mode_name(l->protocol));
	}
	for (size_t i = 0; i < s->n_listeners && !rc; i++) {
		const struct sp_lb_listener *l = &s->listeners[i];
		const struct sp_lb_health *h = &s->health;
		if (backend_seen(s, i))
			continue;
		rc = sp_buf_printf(o, "\nbackend be_%s_%d_%s\n    mode %s\n    balance roundrobin\n",
				   s->name, l->instance_port, mode_name(l->protocol), mode_name(l->protocol));
		if (!rc && h->protocol == SP_LB_HTTP)
			rc = sp_buf_printf(o, "    option httpchk GET %s\n    http-check expect status 200\n",
					   h->path);
		if (!rc)
			rc = sp_buf_printf(o, "    timeout check %ds\n    default-server inter %ds rise %d fall %d\n",
					   h->timeout_s > 0 ? h->timeout_s : 5,
					   h->interval_s > 0 ? h->interval_s : 10,
					   h->healthy_threshold > 0 ? h->healthy_threshold : 3,
					   h->unhealthy_threshold > 0 ? h->unhealthy_threshold : 5);
		for (size_t j = 0; j < s->n_servers && !rc; j++) {
			const struct sp_lb_server *sv = &s->servers[j];
			rc = sp_buf_printf(o, "    server %s %s:%d check", sv->name, sv->address,
					   l->instance_port);
			if (!rc && h->port > 0 && h->port != l->instance_port)
				rc = sp_buf_printf(o, " port %d", h->port);
			if (!rc && sv->draining)
				rc = sp_buf_puts(o, " weight 0");
			if (!rc)
				rc = sp_buf_putc(o, '\n');
		}
	}
	return rc;
}

int sp_lb_render(const struct sp_lb_config *c, struct sp_buf *out)
{
	struct sp_buf o = SP_BUF_INIT((size_t)8 << 20);
	int rc;
	if (!c->dir || c->dir[0] != '/' || strpbrk(c->dir, " \t\n\"#\\"))
		return SP_EINVAL;
	if (c->n_sites > SP_LB_MAX_SITES)
		return SP_ETOOBIG;
	rc = sp_buf_printf(&o,
			   "# haproxy.cfg — written by sprout (engine/lb); every change is replaced.\n"
			   "global\n"
			   "    stats socket %s/admin.sock mode 600 level admin expose-fd listeners\n"
			   "    stats timeout 30s\n"
			   "    hard-stop-after %ds\n"
			   "    server-state-file %s/server-state\n"
			   "\n"
			   "defaults\n"
			   "    mode http\n"
			   "    timeout connect 5s\n"
			   "    timeout client 60s\n"
			   "    timeout server 60s\n"
			   "    retries 2\n"
			   "    option redispatch\n"
			   "    load-server-state-from-file global\n",
			   c->dir, SP_LB_HARD_STOP_AFTER_S, c->dir);
	for (size_t i = 0; i < c->n_sites && !rc; i++)
		rc = render_site(&c->sites[i], &o);
	if (!rc) {
		sp_buf_reset(out);
		rc = sp_buf_append(out, o.data, o.len);
	}
	sp_buf_free(&o);
	return rc;
}

/* Splits one CSV line in place (HAProxy's stat CSV has no quoting). */
static size_t split_csv(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		f[n++] = p;
		char *c = strchr(p, ',');
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	return n;
}

int sp_lb_parse_stat(const char *csv, struct sp_lb_server_stat **out, size_t *nout)
{
	enum { MAXF = 128 };
	char *copy = sp_strdup(csv ? csv : "");
	char *f[MAXF];
	long col_px = -1, col_sv = -1, col_status = -1, col_check = -1, col_scur = -1, col_stot = -1;
	struct sp_lb_server_stat *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (!copy)
		return SP_ENOMEM;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (line[0] == '#') {
			char *hdr = line + 1;
			while (*hdr == ' ')
				hdr++;
			size_t k = split_csv(hdr, f, MAXF);
			for (size_t i = 0; i < k; i++) {
				if (!strcmp(f[i], "pxname")) col_px = (long)i;
				else if (!strcmp(f[i], "svname")) col_sv = (long)i;
				else if (!strcmp(f[i], "status")) col_status = (long)i;
				else if (!strcmp(f[i], "check_status")) col_check = (long)i;
				else if (!strcmp(f[i], "scur")) col_scur = (long)i;
				else if (!strcmp(f[i], "stot")) col_stot = (long)i;
			}
			continue;
		}
		if (col_px < 0 || col_sv < 0 || col_status < 0 || !line[0])
			continue;
		size_t k = split_csv(line, f, MAXF);
		if ((size_t)col_status >= k || (size_t)col_sv >= k)
			continue;
		if (!strcmp(f[col_sv], "FRONTEND") || !strcmp(f[col_sv], "BACKEND"))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct sp_lb_server_stat *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				rc = SP_ENOMEM;
				goto out;
			}
			v = nv;
			cap = nc;
		}
		struct sp_lb_server_stat *s = &v[n++];
		memset(s, 0, sizeof(*s));
		snprintf(s->backend, sizeof(s->backend), "%s", f[col_px]);
		snprintf(s->server, sizeof(s->server), "%s", f[col_sv]);
		snprintf(s->status, sizeof(s->status), "%s", f[col_status]);
		if (col_check >= 0 && (size_t)col_check < k)
			snprintf(s->check_status, sizeof(s->check_status), "%s", f[col_check]);
		if (col_scur >= 0 && (size_t)col_scur < k)
			s->sessions = strtol(f[col_scur], NULL, 10);
		if (col_stot >= 0 && (size_t)col_stot < k)
			s->total = strtol(f[col_stot], NULL, 10);
	}
	*out = v;
	*nout = n;
	v = NULL;
out:
	free(v);
	free(copy);
	return rc;
}
