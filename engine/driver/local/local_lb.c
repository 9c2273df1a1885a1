/* local_lb.c — from the environments' state to HAProxy sites, and instance health back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/driver/local/local_internal.h"
#include "engine/base/banned.h"

static const char *sget(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* Rebuilds one site from a state document; pointers borrow from st. */
struct site_buf {
	struct sp_lb_listener listeners[SP_DRIVER_MAX_LISTENERS];
	struct sp_lb_server servers[SP_DRIVER_MAX_INSTANCES];
};

static int site_from_state(const json_t *st, struct sp_lb_site *s, struct site_buf *b)
{
	json_t *lb = json_object_get(st, "loadBalancer");
	size_t i;
	json_t *x;
	if (!json_is_object(lb) || !sget(lb, "address"))
		return SP_ENOTFOUND;
	memset(s, 0, sizeof(*s));
	s->name = sget(st, "environment");
	s->address = sget(lb, "address");
	json_array_foreach(json_object_get(lb, "listeners"), i, x) {
		if (i >= SP_DRIVER_MAX_LISTENERS)
			break;
		b->listeners[i].port = (int)json_integer_value(json_object_get(x, "port"));
		b->listeners[i].protocol = !strcmp(sget(x, "protocol") ? sget(x, "protocol") : "", "TCP")
			? SP_LB_TCP : SP_LB_HTTP;
		b->listeners[i].instance_port = (int)json_integer_value(json_object_get(x, "instancePort"));
		b->listeners[i].instance_protocol =
			!strcmp(sget(x, "instanceProtocol") ? sget(x, "instanceProtocol") : "", "TCP")
			? SP_LB_TCP : SP_LB_HTTP;
		s->n_listeners = i + 1;
	}
	s->listeners = b->listeners;
	json_t *hc = json_object_get(lb, "healthCheck");
	if (sp_lb_parse_target(sget(hc, "target"), &s->health))
		sp_lb_parse_target("TCP:80", &s->health);
	s->health.interval_s = (int)json_integer_value(json_object_get(hc, "interval"));
	s->health.timeout_s = (int)json_integer_value(json_object_get(hc, "timeout"));
	s->health.healthy_threshold = (int)json_integer_value(json_object_get(hc, "healthyThreshold"));
	s->health.unhealthy_threshold = (int)json_integer_value(json_object_get(hc, "unhealthyThreshold"));
	json_array_foreach(json_object_get(st, "instances"), i, x) {
		if (s->n_servers >= SP_DRIVER_MAX_INSTANCES)
			break;
		/* An instance without a started task is not put behind the load balancer yet. */
		json_t *task = json_object_get(x, "task");
		if (!task || !json_is_true(json_object_get(x, "inService")))
			continue;
		b->servers[s->n_servers].name = sget(x, "id");
		b->servers[s->n_servers].address = sget(x, "address");
		b->servers[s->n_servers].draining = json_is_true(json_object_get(x, "leaving"));
		s->n_servers++;
	}
	s->servers = b->servers;
	return 0;
}

int local_lb_sync(struct local *l, struct sp_buf *err)
{
	json_t *names = NULL;
	json_t **states = NULL;
	struct sp_lb_site *sites = NULL;
	struct site_buf *bufs = NULL;
	size_t n = 0, k = 0, i;
	json_t *x;
	int rc = local_state_list(l, &names);
	if (rc)
		return rc;
	n = json_array_size(names);
	if (n > SP_LB_MAX_SITES)
		n = SP_LB_MAX_SITES;
	states = calloc(n ? n : 1, sizeof(*states));
	sites = calloc(n ? n : 1, sizeof(*sites));
	bufs = calloc(n ? n : 1, sizeof(*bufs));
	if (!states || !sites || !bufs) {
		rc = SP_ENOMEM;
		goto out;
	}
	json_array_foreach(names, i, x) {
		if (i >= n)
			break;
		if (local_state_load(l, json_string_value(x), &states[i]))
			continue;
		if (site_from_state(states[i], &sites[k], &bufs[k]) == 0)
			k++;
	}
	/* No site and no master: nothing to run. */
	if (k == 0 && !sp_lb_running(l->lb))
		goto out;
	struct sp_lb_config c = { l->lb_dir, sites, k };
	rc = sp_lb_apply(l->lb, &c, err);
out:
	for (i = 0; states && i < n; i++)
		json_decref(states[i]);
	free(states);
	free(sites);
	free(bufs);
	json_decref(names);
	return rc;
}

/* Backend names of the environment: be_<env>_<instancePort>_<mode>. */
static size_t backends_of(const json_t *st, char names[][160], size_t max)
{
	json_t *lb = json_object_get(st, "loadBalancer");
	size_t n = 0, i;
	json_t *x;
	json_array_foreach(json_object_get(lb, "listeners"), i, x) {
		if (n == max)
			break;
		const char *proto = sget(x, "protocol");
		snprintf(names[n], 160, "be_%s_%lld_%s", sget(st, "environment"),
			 (long long)json_integer_value(json_object_get(x, "instancePort")),
			 proto && !strcmp(proto, "TCP") ? "tcp" : "http");
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(names[j], names[n]))
				dup = true;
		if (!dup)
			n++;
	}
	return n;
}

int local_lb_set_instance(struct local *l, const json_t *st, const char *instance, const char *state)
{
	char names[SP_DRIVER_MAX_LISTENERS][160];
	size_t n = backends_of(st, names, SP_DRIVER_MAX_LISTENERS);
	int rc = 0;
	if (!sp_lb_running(l->lb))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int r = sp_lb_set_server_state(l->lb, names[i], instance, state);
		if (r && r != SP_ENOTFOUND)
			rc = r;
	}
	return rc;
}

int local_lb_force_up(struct local *l, const json_t *st, const char *instance)
{
	char names[SP_DRIVER_MAX_LISTENERS][160];
	size_t n = backends_of(st, names, SP_DRIVER_MAX_LISTENERS);
	int rc = 0;
	if (!sp_lb_running(l->lb))
		return SP_ENOTFOUND;
	for (size_t i = 0; i < n && !rc; i++) {
		rc = sp_lb_set_server_state(l->lb, names[i], instance, "ready");
		if (!rc)
			rc = sp_lb_set_server_health(l->lb, names[i], instance, "up");
	}
	return rc;
}

void local_lb_wait_drained(struct local *l, const json_t *st, const char *instance, int timeout_s)
{
	char names[SP_DRIVER_MAX_LISTENERS][160];
	size_t nb = backends_of(st, names, SP_DRIVER_MAX_LISTENERS);
	long deadline = local_now_ms() + (long)timeout_s * 1000;
	while (sp_lb_running(l->lb)) {
		struct sp_lb_server_stat *s = NULL;
		size_t n = 0;
		long busy = 0;
		if (sp_lb_stats(l->lb, &s, &n) == 0)
			for (size_t i = 0; i < n; i++)
				for (size_t b = 0; b < nb; b++)
					if (!strcmp(s[i].backend, names[b]) && !strcmp(s[i].server, instance))
						busy += s[i].sessions;
		free(s);
		if (busy == 0 || local_now_ms() >= deadline)
			return;
		local_sleep_ms(100);
	}
}

/* Orders statuses from best to worst for a summary across backends. */
static int badness(const char *status)
{
	if (!strncmp(status, "UP", 2) && !strchr(status, '/'))
		return 0;
	if (!strncmp(status, "DRAIN", 5) || !strncmp(status, "NOLB", 4))
		return 1;
	if (strchr(status, '/'))
		return 2; /* "UP 1/3", "DOWN 1/2": in transition */
	return 3;     /* DOWN, MAINT, no check ... */
}

int local_lb_health(struct local *l, const json_t *st, json_t **out)
{
	char names[SP_DRIVER_MAX_LISTENERS][160];
	size_t nb = backends_of(st, names, SP_DRIVER_MAX_LISTENERS);
	struct sp_lb_server_stat *s = NULL;
	size_t n = 0;
	json_t *r = json_object();
	if (!r)
		return SP_ENOMEM;
	if (sp_lb_running(l->lb) && sp_lb_stats(l->lb, &s, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			bool ours = false;
			for (size_t b = 0; b < nb; b++)
				if (!strcmp(s[i].backend, names[b]))
					ours = true;
			if (!ours)
				continue;
			json_t *cur = json_object_get(r, s[i].server);
			if (cur && badness(sget(cur, "status")) >= badness(s[i].status))
				continue;
			json_object_set_new(r, s[i].server,
					    json_pack("{s:s, s:s, s:I}", "status", s[i].status, "check",
						      s[i].check_status, "sessions", (json_int_t)s[i].sessions));
		}
	}
	free(s);
	*out = r;
	return 0;
}
