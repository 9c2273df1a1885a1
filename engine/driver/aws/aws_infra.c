/* aws_infra.c — security groups (EC2), the Classic load balancer (ELB), the launch
 * configuration and the Auto Scaling group, over the Query protocol (engine/aws). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/driver/aws/aws_internal.h"
#include "engine/base/banned.h"

/* One Query call; p may be NULL. quiet: an AWS error is returned without a diagnostic. */
static int query(struct awsd_run *r, enum sp_aws_service s, const char *op,
		 const struct sp_aws_params *p, xmlDoc **resp, bool quiet)
{
	xmlDoc *doc = NULL;
	int rc = sp_aws_query_call(r->d->aws, s, op, p, &doc);
	if (rc) {
		if (!(quiet && rc == SP_ERROR))
			awsd_fail(r, rc);
		return rc;
	}
	if (resp)
		*resp = doc;
	else
		xmlFreeDoc(doc);
	return 0;
}

static xmlNode *root(xmlDoc *doc)
{
	return doc ? xmlDocGetRootElement(doc) : NULL;
}

static long xml_long(const xmlNode *n, const char *path, long dflt)
{
	char *s = sp_xml_strdup(n, path);
	int64_t v;
	long out = s && sp_parse_i64(s, &v) == 0 ? (long)v : dflt;
	free(s);
	return out;
}

static bool xml_eq(const xmlNode *n, const char *path, const char *want)
{
	char *s = sp_xml_strdup(n, path);
	bool eq = s && want && !strcmp(s, want);
	free(s);
	return eq;
}

static void sleep_s(int s)
{
	struct timespec ts = { s, 0 };
	while (nanosleep(&ts, &ts) == -1)
		;
}

/* ---- availability zones ---- */

int awsd_zones_resolve(struct awsd_run *r)
{
	r->n_zones = 0;
	if (r->d->zones && *r->d->zones) {
		const char *s = r->d->zones;
		while (*s && r->n_zones < SP_AWS_DRIVER_MAX_ZONES) {
			size_t len = strcspn(s, ", ");
			if (len && len < sizeof(r->zones[0]))
				snprintf(r->zones[r->n_zones++], sizeof(r->zones[0]), "%.*s", (int)len, s);
			s += len;
			while (*s == ',' || *s == ' ')
				s++;
		}
		return 0;
	}
	struct sp_aws_params p;
	xmlDoc *doc = NULL;
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, "state", "Filter.1.Name");
	sp_aws_params_add(&p, "available", "Filter.1.Value.1");
	int rc = query(r, SP_AWS_EC2, "DescribeAvailabilityZones", &p, &doc, false);
	sp_aws_params_free(&p);
	if (rc)
		return rc;
	xmlNode *info = sp_xml_child(root(doc), "availabilityZoneInfo");
	for (xmlNode *it = sp_xml_next(info, NULL, "item"); it && r->n_zones < 3;
	     it = sp_xml_next(info, it, "item")) {
		char *z = sp_xml_strdup(it, "zoneName");
		if (z && strlen(z) < sizeof(r->zones[0]))
			snprintf(r->zones[r->n_zones++], sizeof(r->zones[0]), "%s", z);
		free(z);
	}
	xmlFreeDoc(doc);
	if (!r->n_zones) {
		struct sp_loc loc = { NULL, 0, 0, "" };
		sp_diag_add(r->diags, SP_SEV_ERROR, "AWS_NO_ZONES", loc,
			    "give the Zones option (sprout:aws)",
			    "ec2 DescribeAvailabilityZones: region %s has no available zone",
			    sp_aws_region(r->d->aws));
		return SP_ERROR;
	}
	return 0;
}

/* ---- security groups ---- */

struct perm {
	char proto[8]; /* "tcp", "udp", "-1" */
	int from, to;  /* -1 for all */
	char source[64]; /* "sg-..." or a CIDR */
};

#define MAX_PERMS (SP_DRIVER_MAX_SG_RULES + SP_DRIVER_MAX_LISTENERS + 64)

static bool perm_eq(const struct perm *a, const struct perm *b)
{
	if (strcmp(a->proto, b->proto) || strcmp(a->source, b->source))
		return false;
	return !strcmp(a->proto, "-1") || (a->from == b->from && a->to == b->to);
}

/* Finds a group by name: *id (empty when absent) and its ingress permissions. */
static int sg_find(struct awsd_run *r, const char *name, char id[64], struct perm *perms,
		   size_t *n)
{
	struct sp_aws_params p;
	xmlDoc *doc = NULL;
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, "group-name", "Filter.1.Name");
	sp_aws_params_add(&p, name, "Filter.1.Value.1");
	if (r->d->vpc_id) {
		sp_aws_params_add(&p, "vpc-id", "Filter.2.Name");
		sp_aws_params_add(&p, r->d->vpc_id, "Filter.2.Value.1");
	}
	int rc = query(r, SP_AWS_EC2, "DescribeSecurityGroups", &p, &doc, false);
	sp_aws_params_free(&p);
	if (rc)
		return rc;
	id[0] = '\0';
	if (n)
		*n = 0;
	xmlNode *item = sp_xml_path(root(doc), "securityGroupInfo/item");
	char *gid = item ? sp_xml_strdup(item, "groupId") : NULL;
	if (gid)
		snprintf(id, 64, "%s", gid);
	free(gid);
	xmlNode *ips = item ? sp_xml_child(item, "ipPermissions") : NULL;
	for (xmlNode *ip = sp_xml_next(ips, NULL, "item"); n && ip;
	     ip = sp_xml_next(ips, ip, "item")) {
		struct perm base = { "", -1, -1, "" };
		char *proto = sp_xml_strdup(ip, "ipProtocol");
		snprintf(base.proto, sizeof(base.proto), "%s", proto ? proto : "-1");
		free(proto);
		base.from = (int)xml_long(ip, "fromPort", -1);
		base.to = (int)xml_long(ip, "toPort", -1);
		xmlNode *groups = sp_xml_child(ip, "groups");
		xmlNode *ranges = sp_xml_child(ip, "ipRanges");
		for (xmlNode *g = sp_xml_next(groups, NULL, "item"); g && *n < MAX_PERMS;
		     g = sp_xml_next(groups, g, "item")) {
			char *s = sp_xml_strdup(g, "groupId");
			perms[*n] = base;
			snprintf(perms[*n].source, sizeof(perms[*n].source), "%s", s ? s : "");
			(*n)++;
			free(s);
		}
		for (xmlNode *g = sp_xml_next(ranges, NULL, "item"); g && *n < MAX_PERMS;
		     g = sp_xml_next(ranges, g, "item")) {
			char *s = sp_xml_strdup(g, "cidrIp");
			perms[*n] = base;
			snprintf(perms[*n].source, sizeof(perms[*n].source), "%s", s ? s : "");
			(*n)++;
			free(s);
		}
	}
	xmlFreeDoc(doc);
	return 0;
}

static int sg_create(struct awsd_run *r, const char *name, const char *what, char id[64])
{
	struct sp_aws_params p;
	xmlDoc *doc = NULL;
	char desc[300];
	snprintf(desc, sizeof(desc), "sprout %s of environment %s", what, r->env);
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, name, "GroupName");
	sp_aws_params_add(&p, desc, "GroupDescription");
	if (r->d->vpc_id)
		sp_aws_params_add(&p, r->d->vpc_id, "VpcId");
	int rc = query(r, SP_AWS_EC2, "CreateSecurityGroup", &p, &doc, false);
	sp_aws_params_free(&p);
	if (rc)
		return rc;
	char *gid = sp_xml_strdup(root(doc), "groupId");
	xmlFreeDoc(doc);
	if (!gid) {
		awsd_fail(r, SP_EINVAL);
		return SP_EINVAL;
	}
	snprintf(id, 64, "%s", gid);
	free(gid);
	awsd_changed(r, "Created security group %s (%s).", name, id);
	return 0;
}

/* Authorize or Revoke one permission. */
static int sg_perm(struct awsd_run *r, const char *op, const char *group_id, const char *name,
		   const struct perm *x)
{
	struct sp_aws_params p;
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, group_id, "GroupId");
	sp_aws_params_add(&p, x->proto, "IpPermissions.1.IpProtocol");
	if (strcmp(x->proto, "-1")) {
		sp_aws_params_addi(&p, x->from, "IpPermissions.1.FromPort");
		sp_aws_params_addi(&p, x->to, "IpPermissions.1.ToPort");
	}
	if (!strncmp(x->source, "sg-", 3))
		sp_aws_params_add(&p, x->source, "IpPermissions.1.Groups.1.GroupId");
	else
		sp_aws_params_add(&p, x->source, "IpPermissions.1.IpRanges.1.CidrIp");
	int rc = query(r, SP_AWS_EC2, op, &p, NULL, false);
	sp_aws_params_free(&p);
	if (!rc)
		awsd_changed(r, "%s %s %s %d-%d from %s in security group %s.",
			     op[0] == 'A' ? "Authorized" : "Revoked", x->proto,
			     op[0] == 'A' ? "ingress" : "ingress", x->from, x->to, x->source, name);
	return rc;
}

static int sg_ensure(struct awsd_run *r, const char *name, const char *what, char id[64],
		     const struct perm *want, size_t nwant)
{
	struct perm *have = calloc(MAX_PERMS, sizeof(*have));
	size_t nhave = 0;
	int rc = have ? sg_find(r, name, id, have, &nhave) : SP_ENOMEM;
	if (rc)
		goto out;
	if (!id[0]) {
		nhave = 0;
		if ((rc = sg_create(r, name, what, id)))
			goto out;
	}
	for (size_t i = 0; i < nwant; i++) {
		bool found = false;
		for (size_t j = 0; j < nhave && !found; j++)
			found = perm_eq(&want[i], &have[j]);
		if (!found && (rc = sg_perm(r, "AuthorizeSecurityGroupIngress", id, name, &want[i])))
			goto out;
	}
	for (size_t j = 0; j < nhave; j++) {
		bool found = false;
		for (size_t i = 0; i < nwant && !found; i++)
			found = perm_eq(&want[i], &have[j]);
		if (!found && (rc = sg_perm(r, "RevokeSecurityGroupIngress", id, name, &have[j])))
			goto out;
	}
out:
	free(have);
	return rc;
}

int awsd_security_groups_ensure(struct awsd_run *r, const struct sp_driver_plan *p)
{
	struct perm *want = calloc(MAX_PERMS, sizeof(*want));
	size_t n = 0;
	int rc = SP_ENOMEM;
	if (!want)
		return rc;
	if (p->load_balanced) {
		for (size_t i = 0; i < p->n_listeners && n < MAX_PERMS; i++) {
			struct perm x = { "tcp", p->listeners[i].port, p->listeners[i].port,
					  "0.0.0.0/0" };
			bool dup = false;
			for (size_t j = 0; j < n && !dup; j++)
				dup = perm_eq(&want[j], &x);
			if (!dup)
				want[n++] = x;
		}
		if ((rc = sg_ensure(r, r->n.sg_lb, "load balancer security group", r->sg_lb_id,
				    want, n)))
			goto out;
	}
	n = 0;
	for (size_t i = 0; i < p->n_rules && n < MAX_PERMS; i++) {
		const struct sp_driver_sg_rule *x = &p->rules[i];
		struct perm q = { "tcp", x->from_port, x->to_port, "0.0.0.0/0" };
		if (x->any_protocol)
			snprintf(q.proto, sizeof(q.proto), "-1");
		else if (x->udp)
			snprintf(q.proto, sizeof(q.proto), "udp");
		if (p->load_balanced)
			snprintf(q.source, sizeof(q.source), "%s", r->sg_lb_id);
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = perm_eq(&want[j], &q);
		if (!dup)
			want[n++] = q;
	}
	rc = sg_ensure(r, r->n.sg_instances, "instance security group", r->sg_instances_id, want,
		       n);
out:
	free(want);
	return rc;
}

/* ---- the Classic load balancer ---- */

static const char *proto_name(enum sp_driver_proto p)
{
	return p == SP_DRIVER_TCP ? "TCP" : "HTTP";
}

static void add_listener(struct sp_aws_params *p, size_t i, const struct sp_driver_listener *l)
{
	sp_aws_params_add(p, proto_name(l->protocol), "Listeners.member.%zu.Protocol", i);
	sp_aws_params_addi(p, l->port, "Listeners.member.%zu.LoadBalancerPort", i);
	sp_aws_params_add(p, proto_name(l->instance_protocol),
			  "Listeners.member.%zu.InstanceProtocol", i);
	sp_aws_params_addi(p, l->instance_port, "Listeners.member.%zu.InstancePort", i);
}

/* The load balancer's description (<member> of LoadBalancerDescriptions) or NULL. */
static int lb_describe(struct awsd_run *r, xmlDoc **doc, xmlNode **lb)
{
	struct sp_aws_params p;
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, r->n.lb, "LoadBalancerNames.member.1");
	*lb = NULL;
	*doc = NULL;
	int rc = query(r, SP_AWS_ELB, "DescribeLoadBalancers", &p, doc, true);
	sp_aws_params_free(&p);
	if (rc == SP_ERROR && sp_aws_error_is(r->d->aws, "LoadBalancerNotFound"))
		return 0;
	if (rc == SP_ERROR)
		awsd_fail(r, rc);
	if (rc)
		return rc;
	*lb = sp_xml_path(root(*doc),
			  "DescribeLoadBalancersResult/LoadBalancerDescriptions/member");
	return 0;
}

static int lb_health(struct awsd_run *r, const struct sp_driver_plan *p, const xmlNode *lb)
{
	const xmlNode *hc = lb ? sp_xml_child(lb, "HealthCheck") : NULL;
	if (hc && xml_eq(hc, "Target", p->health_target) &&
	    xml_long(hc, "Interval", 0) == p->health_interval &&
	    xml_long(hc, "Timeout", 0) == p->health_timeout &&
	    xml_long(hc, "HealthyThreshold", 0) == p->healthy_threshold &&
	    xml_long(hc, "UnhealthyThreshold", 0) == p->unhealthy_threshold)
		return 0;
	struct sp_aws_params q;
	sp_aws_params_init(&q);
	sp_aws_params_add(&q, r->n.lb, "LoadBalancerName");
	sp_aws_params_add(&q, p->health_target, "HealthCheck.Target");
	sp_aws_params_addi(&q, p->health_interval, "HealthCheck.Interval");
	sp_aws_params_addi(&q, p->health_timeout, "HealthCheck.Timeout");
	sp_aws_params_addi(&q, p->unhealthy_threshold, "HealthCheck.UnhealthyThreshold");
	sp_aws_params_addi(&q, p->healthy_threshold, "HealthCheck.HealthyThreshold");
	int rc = query(r, SP_AWS_ELB, "ConfigureHealthCheck", &q, NULL, false);
	sp_aws_params_free(&q);
	if (!rc)
		awsd_changed(r, "Configured the health check of load balancer %s: %s.", r->n.lb,
			     p->health_target);
	return rc;
}

/* Cross-zone, connection draining and the idle timeout (aws:elb:loadbalancer CrossZone,
 * aws:elb:policies ConnectionDraining*, ConnectionSettingIdleTimeout), set when they
 * differ; the draining timeout only counts while draining is on. */
static int lb_attributes(struct awsd_run *r, const struct sp_driver_plan *p)
{
	struct sp_aws_params q;
	xmlDoc *doc = NULL;
	sp_aws_params_init(&q);
	sp_aws_params_add(&q, r->n.lb, "LoadBalancerName");
	int rc = query(r, SP_AWS_ELB, "DescribeLoadBalancerAttributes", &q, &doc, false);
	if (rc)
		goto out;
	const xmlNode *a = sp_xml_path(root(doc), "DescribeLoadBalancerAttributesResult/"
						  "LoadBalancerAttributes");
	const char *cz = p->cross_zone ? "true" : "false";
	const char *cd = p->connection_draining ? "true" : "false";
	if (a && xml_eq(a, "CrossZoneLoadBalancing/Enabled", cz) &&
	    xml_eq(a, "ConnectionDraining/Enabled", cd) &&
	    (!p->connection_draining ||
	     xml_long(a, "ConnectionDraining/Timeout", -1) == p->connection_draining_timeout_s) &&
	    xml_long(a, "ConnectionSettings/IdleTimeout", -1) == p->idle_timeout_s)
		goto out;
	sp_aws_params_add(&q, cz, "LoadBalancerAttributes.CrossZoneLoadBalancing.Enabled");
	sp_aws_params_add(&q, cd, "LoadBalancerAttributes.ConnectionDraining.Enabled");
	if (p->connection_draining)
		sp_aws_params_addi(&q, p->connection_draining_timeout_s,
				   "LoadBalancerAttributes.ConnectionDraining.Timeout");
	sp_aws_params_addi(&q, p->idle_timeout_s,
			   "LoadBalancerAttributes.ConnectionSettings.IdleTimeout");
	rc = query(r, SP_AWS_ELB, "ModifyLoadBalancerAttributes", &q, NULL, false);
	if (rc)
		goto out;
	char drain[48] = "off";
	if (p->connection_draining)
		snprintf(drain, sizeof(drain), "%d s", p->connection_draining_timeout_s);
	awsd_changed(r, "Set the attributes of load balancer %s: cross-zone %s, connection "
			"draining %s, idle timeout %d s.", r->n.lb, p->cross_zone ? "on" : "off",
		     drain, p->idle_timeout_s);
out:
	sp_aws_params_free(&q);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

static bool listener_matches(const xmlNode *l, const struct sp_driver_listener *w)
{
	return xml_long(l, "LoadBalancerPort", -1) == w->port &&
	       xml_long(l, "InstancePort", -1) == w->instance_port &&
	       xml_eq(l, "Protocol", proto_name(w->protocol)) &&
	       xml_eq(l, "InstanceProtocol", proto_name(w->instance_protocol));
}

int awsd_lb_ensure(struct awsd_run *r, const struct sp_driver_plan *p)
{
	xmlDoc *doc = NULL;
	xmlNode *lb = NULL;
	struct sp_aws_params q;
	int rc;
	if (!p->load_balanced)
		return 0;
	if ((rc = lb_describe(r, &doc, &lb)))
		return rc;
	sp_aws_params_init(&q);
	if (!lb) {
		sp_aws_params_add(&q, r->n.lb, "LoadBalancerName");
		for (size_t i = 0; i < p->n_listeners; i++)
			add_listener(&q, i + 1, &p->listeners[i]);
		for (size_t i = 0; i < r->n_zones; i++)
			sp_aws_params_add(&q, r->zones[i], "AvailabilityZones.member.%zu", i + 1);
		sp_aws_params_add(&q, r->sg_lb_id, "SecurityGroups.member.1");
		sp_aws_params_add(&q, "sprout:environment", "Tags.member.1.Key");
		sp_aws_params_add(&q, r->env, "Tags.member.1.Value");
		rc = query(r, SP_AWS_ELB, "CreateLoadBalancer", &q, NULL, false);
		if (rc)
			goto out;
		awsd_changed(r, "Created load balancer %s with %zu listener%s.", r->n.lb,
			     p->n_listeners, p->n_listeners == 1 ? "" : "s");
		if (!(rc = lb_health(r, p, NULL)))
			rc = lb_attributes(r, p);
		goto out;
	}
	/* Listeners: remove the ones that differ or are gone, then add what is missing. */
	xmlNode *lds = sp_xml_child(lb, "ListenerDescriptions");
	size_t ndel = 0;
	for (xmlNode *ld = sp_xml_next(lds, NULL, "member"); ld; ld = sp_xml_next(lds, ld, "member")) {
		xmlNode *l = sp_xml_child(ld, "Listener");
		bool keep = false;
		for (size_t i = 0; i < p->n_listeners && !keep; i++)
			keep = listener_matches(l, &p->listeners[i]);
		if (!keep)
			sp_aws_params_addi(&q, xml_long(l, "LoadBalancerPort", 0),
					   "LoadBalancerPorts.member.%zu", ++ndel);
	}
	if (ndel) {
		sp_aws_params_add(&q, r->n.lb, "LoadBalancerName");
		if ((rc = query(r, SP_AWS_ELB, "DeleteLoadBalancerListeners", &q, NULL, false)))
			goto out;
		awsd_changed(r, "Removed %zu listener%s from load balancer %s.", ndel,
			     ndel == 1 ? "" : "s", r->n.lb);
	}
	sp_aws_params_free(&q);
	sp_aws_params_init(&q);
	size_t nadd = 0;
	for (size_t i = 0; i < p->n_listeners; i++) {
		bool have = false;
		for (xmlNode *ld = sp_xml_next(lds, NULL, "member"); ld && !have;
		     ld = sp_xml_next(lds, ld, "member"))
			have = listener_matches(sp_xml_child(ld, "Listener"), &p->listeners[i]);
		if (!have)
			add_listener(&q, ++nadd, &p->listeners[i]);
	}
	if (nadd) {
		sp_aws_params_add(&q, r->n.lb, "LoadBalancerName");
		if ((rc = query(r, SP_AWS_ELB, "CreateLoadBalancerListeners", &q, NULL, false)))
			goto out;
		awsd_changed(r, "Added %zu listener%s to load balancer %s.", nadd,
			     nadd == 1 ? "" : "s", r->n.lb);
	}
	if (!(rc = lb_health(r, p, lb)))
		rc = lb_attributes(r, p);
out:
	sp_aws_params_free(&q);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

int awsd_lb_observe(struct awsd_run *r, json_t **out)
{
	xmlDoc *doc = NULL, *hdoc = NULL;
	xmlNode *lb = NULL;
	int rc = lb_describe(r, &doc, &lb);
	if (rc)
		return rc;
	if (!lb) {
		*out = NULL;
		goto out;
	}
	json_t *o = json_object(), *ls = json_array(), *hs = json_array();
	char *dns = sp_xml_strdup(lb, "DNSName");
	json_object_set_new(o, "name", json_string(r->n.lb));
	json_object_set_new(o, "dnsName", dns ? json_string(dns) : json_null());
	free(dns);
	xmlNode *lds = sp_xml_child(lb, "ListenerDescriptions");
	for (xmlNode *ld = sp_xml_next(lds, NULL, "member"); ld; ld = sp_xml_next(lds, ld, "member")) {
		xmlNode *l = sp_xml_child(ld, "Listener");
		char *pr = sp_xml_strdup(l, "Protocol"), *ip = sp_xml_strdup(l, "InstanceProtocol");
		json_array_append_new(ls, json_pack("{s:i, s:s, s:i, s:s}", "port",
						    (int)xml_long(l, "LoadBalancerPort", 0), "protocol",
						    pr ? pr : "", "instancePort",
						    (int)xml_long(l, "InstancePort", 0),
						    "instanceProtocol", ip ? ip : ""));
		free(pr);
		free(ip);
	}
	json_object_set_new(o, "listeners", ls);
	char *target = sp_xml_strdup(lb, "HealthCheck/Target");
	json_object_set_new(o, "healthCheckTarget", target ? json_string(target) : json_null());
	free(target);
	struct sp_aws_params q;
	sp_aws_params_init(&q);
	sp_aws_params_add(&q, r->n.lb, "LoadBalancerName");
	rc = query(r, SP_AWS_ELB, "DescribeInstanceHealth", &q, &hdoc, false);
	sp_aws_params_free(&q);
	if (rc) {
		json_decref(o);
		json_decref(hs);
		goto out;
	}
	xmlNode *sts = sp_xml_path(root(hdoc), "DescribeInstanceHealthResult/InstanceStates");
	for (xmlNode *m = sp_xml_next(sts, NULL, "member"); m; m = sp_xml_next(sts, m, "member")) {
		char *id = sp_xml_strdup(m, "InstanceId"), *st = sp_xml_strdup(m, "State");
		json_array_append_new(hs, json_pack("{s:s, s:s}", "instanceId", id ? id : "",
						    "state", st ? st : ""));
		free(id);
		free(st);
	}
	json_object_set_new(o, "instanceHealth", hs);
	*out = o;
out:
	if (doc)
		xmlFreeDoc(doc);
	if (hdoc)
		xmlFreeDoc(hdoc);
	return rc;
}

/* ---- launch configuration and Auto Scaling group ---- */

/* A launch configuration value: the plan's (the environment's option), else the
 * driver's option, else NULL. */
static const char *lc_value(const char *plan, const char *driver)
{
	return plan && *plan ? plan : driver && *driver ? driver : NULL;
}

/* The plan's or the driver's image, else the newest Amazon Linux 2 ECS-optimised image
 * (x86_64) of owner amazon. */
static int image_resolve(struct awsd_run *r, const struct sp_driver_plan *pl,
			 char out[SP_DRIVER_MAX_LC_VALUE + 1])
{
	const char *given = lc_value(pl->image_id, r->d->image_id);
	if (given) {
		snprintf(out, SP_DRIVER_MAX_LC_VALUE + 1, "%s", given);
		return 0;
	}
	struct sp_aws_params p;
	xmlDoc *doc = NULL;
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, "amazon", "Owner.1");
	sp_aws_params_add(&p, "name", "Filter.1.Name");
	sp_aws_params_add(&p, "amzn2-ami-ecs-hvm-*-x86_64-ebs", "Filter.1.Value.1");
	int rc = query(r, SP_AWS_EC2, "DescribeImages", &p, &doc, false);
	sp_aws_params_free(&p);
	if (rc)
		return rc;
	char best_date[64] = "", best[64] = "";
	xmlNode *set = sp_xml_child(root(doc), "imagesSet");
	for (xmlNode *it = sp_xml_next(set, NULL, "item"); it; it = sp_xml_next(set, it, "item")) {
		char *id = sp_xml_strdup(it, "imageId"), *name = sp_xml_strdup(it, "name");
		char *date = sp_xml_strdup(it, "creationDate");
		/* newest creation date, then the greatest name (names carry the build date) */
		const char *key = date && *date ? date : name;
		if (id && key && strlen(id) < 64 && strcmp(key, best_date) > 0) {
			snprintf(best_date, sizeof(best_date), "%.63s", key);
			snprintf(best, sizeof(best), "%s", id);
		}
		free(id);
		free(name);
		free(date);
	}
	xmlFreeDoc(doc);
	if (!best[0]) {
		struct sp_loc loc = { NULL, 0, 0, "" };
		sp_diag_add(r->diags, SP_SEV_ERROR, "AWS_NO_IMAGE", loc,
			    "set aws:autoscaling:launchconfiguration ImageId to an ECS-optimised AMI",
			    "ec2 DescribeImages: no amzn2-ami-ecs-hvm-*-x86_64-ebs image in region %s",
			    sp_aws_region(r->d->aws));
		return SP_ERROR;
	}
	snprintf(out, 64, "%s", best);
	return 0;
}

static int base64(const char *s, struct sp_buf *out)
{
	size_t n = strlen(s);
	char *enc = malloc(4 * ((n + 2) / 3) + 1);
	if (!enc)
		return SP_ENOMEM;
	EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)s, (int)n);
	int rc = sp_buf_puts(out, enc);
	free(enc);
	return rc;
}

/* The launch configuration the plan asks for (its name hashes everything in it, so a
 * changed option makes a new one); made when missing, its name into name. */
static int lc_ensure(struct awsd_run *r, const struct sp_driver_plan *pl,
		     char name[AWSD_NAME_MAX])
{
	char image[SP_DRIVER_MAX_LC_VALUE + 1], hash[13];
	struct sp_buf ud = SP_BUF_INIT(0), ud64 = SP_BUF_INIT(0), key = SP_BUF_INIT(0);
	struct sp_aws_params p;
	xmlDoc *doc = NULL;
	int rc = image_resolve(r, pl, image);
	sp_aws_params_init(&p);
	if (rc)
		goto out;
	const char *type = lc_value(pl->instance_type, r->d->instance_type);
	const char *profile = lc_value(pl->instance_profile, r->d->instance_profile);
	const char *key_name = lc_value(pl->key_name, r->d->key_name);
	if (!type)
		type = SP_AWS_DRIVER_INSTANCE_TYPE;
	if ((rc = sp_buf_printf(&ud, "#!/bin/bash\necho ECS_CLUSTER=%s >> /etc/ecs/ecs.config\n",
				r->n.cluster)) ||
	    (rc = base64(sp_buf_cstr(&ud), &ud64)) ||
	    (rc = sp_buf_printf(&key, "%s\n%s\n%s\n%s\n%s\n%s", image, type, r->sg_instances_id,
				sp_buf_cstr(&ud64), profile ? profile : "",
				key_name ? key_name : "")))
		goto out;
	awsd_hash12(sp_buf_cstr(&key), hash);
	snprintf(name, AWSD_NAME_MAX, "%.200s%s", r->n.lc_prefix, hash);

	sp_aws_params_add(&p, name, "LaunchConfigurationNames.member.1");
	rc = query(r, SP_AWS_AUTOSCALING, "DescribeLaunchConfigurations", &p, &doc, false);
	if (rc)
		goto out;
	bool exists = sp_xml_path(root(doc), "DescribeLaunchConfigurationsResult/"
					     "LaunchConfigurations/member") != NULL;
	if (exists)
		goto out;
	sp_aws_params_free(&p);
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, name, "LaunchConfigurationName");
	sp_aws_params_add(&p, image, "ImageId");
	sp_aws_params_add(&p, type, "InstanceType");
	sp_aws_params_add(&p, r->sg_instances_id, "SecurityGroups.member.1");
	sp_aws_params_add(&p, sp_buf_cstr(&ud64), "UserData");
	if (profile)
		sp_aws_params_add(&p, profile, "IamInstanceProfile");
	if (key_name)
		sp_aws_params_add(&p, key_name, "KeyName");
	rc = query(r, SP_AWS_AUTOSCALING, "CreateLaunchConfiguration", &p, NULL, false);
	if (!rc)
		awsd_changed(r, "Created launch configuration %s (%s, %s).", name, image, type);
out:
	sp_aws_params_free(&p);
	if (doc)
		xmlFreeDoc(doc);
	sp_buf_free(&ud);
	sp_buf_free(&ud64);
	sp_buf_free(&key);
	return rc;
}

/* Every launch configuration named lc_prefix* except keep (NULL: all). */
static int lc_delete_others(struct awsd_run *r, const char *keep)
{
	xmlDoc *doc = NULL;
	struct sp_aws_params p;
	int rc = 0;
	char *token = NULL;
	for (int page = 0; !rc && page < SP_AWS_DRIVER_MAX_PAGES; page++) {
		sp_aws_params_init(&p);
		if (token)
			sp_aws_params_add(&p, token, "NextToken");
		free(token);
		token = NULL;
		rc = query(r, SP_AWS_AUTOSCALING, "DescribeLaunchConfigurations", &p, &doc, false);
		sp_aws_params_free(&p);
		if (rc)
			break;
		xmlNode *res = sp_xml_child(root(doc), "DescribeLaunchConfigurationsResult");
		xmlNode *lcs = sp_xml_child(res, "LaunchConfigurations");
		for (xmlNode *m = sp_xml_next(lcs, NULL, "member"); !rc && m;
		     m = sp_xml_next(lcs, m, "member")) {
			char *name = sp_xml_strdup(m, "LaunchConfigurationName");
			if (name && !strncmp(name, r->n.lc_prefix, strlen(r->n.lc_prefix)) &&
			    (!keep || strcmp(name, keep))) {
				struct sp_aws_params d;
				sp_aws_params_init(&d);
				sp_aws_params_add(&d, name, "LaunchConfigurationName");
				rc = query(r, SP_AWS_AUTOSCALING, "DeleteLaunchConfiguration", &d, NULL,
					   true);
				sp_aws_params_free(&d);
				if (rc == SP_ERROR && sp_aws_error_is(r->d->aws, "ResourceInUse"))
					rc = 0; /* still used by instances; next time */
				else if (rc)
					awsd_fail(r, rc);
				else
					awsd_changed(r, "Deleted launch configuration %s.", name);
			}
			free(name);
		}
		token = sp_xml_strdup(res, "NextToken");
		xmlFreeDoc(doc);
		doc = NULL;
		if (!token || !*token)
			break;
	}
	free(token);
	return rc;
}

static int asg_describe(struct awsd_run *r, xmlDoc **doc, xmlNode **g)
{
	struct sp_aws_params p;
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, r->n.asg, "AutoScalingGroupNames.member.1");
	int rc = query(r, SP_AWS_AUTOSCALING, "DescribeAutoScalingGroups", &p, doc, false);
	sp_aws_params_free(&p);
	if (rc)
		return rc;
	*g = sp_xml_path(root(*doc), "DescribeAutoScalingGroupsResult/AutoScalingGroups/member");
	return 0;
}

int awsd_asg_ensure(struct awsd_run *r, const struct sp_driver_plan *p)
{
	char lc[AWSD_NAME_MAX];
	xmlDoc *doc = NULL;
	xmlNode *g = NULL;
	struct sp_aws_params q;
	int rc = lc_ensure(r, p, lc);
	if (rc)
		return rc;
	if ((rc = asg_describe(r, &doc, &g)))
		return rc;
	sp_aws_params_init(&q);
	sp_aws_params_add(&q, r->n.asg, "AutoScalingGroupName");
	if (!g) {
		sp_aws_params_add(&q, lc, "LaunchConfigurationName");
		sp_aws_params_addi(&q, p->instances, "MinSize");
		sp_aws_params_addi(&q, p->instances, "MaxSize");
		sp_aws_params_addi(&q, p->instances, "DesiredCapacity");
		for (size_t i = 0; i < r->n_zones; i++)
			sp_aws_params_add(&q, r->zones[i], "AvailabilityZones.member.%zu", i + 1);
		if (p->load_balanced)
			sp_aws_params_add(&q, r->n.lb, "LoadBalancerNames.member.1");
		sp_aws_params_add(&q, "sprout:environment", "Tags.member.1.Key");
		sp_aws_params_add(&q, r->env, "Tags.member.1.Value");
		sp_aws_params_add(&q, "true", "Tags.member.1.PropagateAtLaunch");
		sp_aws_params_add(&q, "Name", "Tags.member.2.Key");
		sp_aws_params_add(&q, r->env, "Tags.member.2.Value");
		sp_aws_params_add(&q, "true", "Tags.member.2.PropagateAtLaunch");
		rc = query(r, SP_AWS_AUTOSCALING, "CreateAutoScalingGroup", &q, NULL, false);
		if (!rc)
			awsd_changed(r, "Created Auto Scaling group %s with %d instance%s.", r->n.asg,
				     p->instances, p->instances == 1 ? "" : "s");
		goto out;
	}
	bool same_lc = xml_eq(g, "LaunchConfigurationName", lc);
	bool same = xml_long(g, "MinSize", -1) == p->instances &&
		    xml_long(g, "MaxSize", -1) == p->instances &&
		    xml_long(g, "DesiredCapacity", -1) == p->instances && same_lc;
	if (!same) {
		sp_aws_params_add(&q, lc, "LaunchConfigurationName");
		sp_aws_params_addi(&q, p->instances, "MinSize");
		sp_aws_params_addi(&q, p->instances, "MaxSize");
		sp_aws_params_addi(&q, p->instances, "DesiredCapacity");
		rc = query(r, SP_AWS_AUTOSCALING, "UpdateAutoScalingGroup", &q, NULL, false);
		if (rc)
			goto out;
		/* As EB without a rolling update: the group launches new instances with the
		 * new configuration; the running ones keep theirs until they are replaced. */
		awsd_changed(r, "Updated Auto Scaling group %s: %d instance%s, %s%s.", r->n.asg,
			     p->instances, p->instances == 1 ? "" : "s", lc,
			     same_lc ? "" : " (new instances use it; running ones keep theirs until "
					    "they are replaced)");
	}
	rc = lc_delete_others(r, lc);
out:
	sp_aws_params_free(&q);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

int awsd_asg_observe(struct awsd_run *r, json_t **out)
{
	xmlDoc *doc = NULL;
	xmlNode *g = NULL;
	int rc = asg_describe(r, &doc, &g);
	if (rc)
		return rc;
	if (!g) {
		*out = NULL;
		xmlFreeDoc(doc);
		return 0;
	}
	char *lc = sp_xml_strdup(g, "LaunchConfigurationName");
	json_t *o = json_pack("{s:s, s:i, s:i, s:i, s:s?}", "name", r->n.asg, "minSize",
			      (int)xml_long(g, "MinSize", 0), "maxSize", (int)xml_long(g, "MaxSize", 0),
			      "desiredCapacity", (int)xml_long(g, "DesiredCapacity", 0),
			      "launchConfiguration", lc);
	free(lc);
	json_t *is = json_array();
	xmlNode *ins = sp_xml_child(g, "Instances");
	for (xmlNode *m = sp_xml_next(ins, NULL, "member"); m; m = sp_xml_next(ins, m, "member")) {
		char *id = sp_xml_strdup(m, "InstanceId"), *ls = sp_xml_strdup(m, "LifecycleState");
		char *hs = sp_xml_strdup(m, "HealthStatus"), *az = sp_xml_strdup(m, "AvailabilityZone");
		json_array_append_new(is, json_pack("{s:s, s:s, s:s, s:s?}", "id", id ? id : "",
						    "lifecycleState", ls ? ls : "", "health",
						    hs ? hs : "", "zone", az));
		free(id);
		free(ls);
		free(hs);
		free(az);
	}
	json_object_set_new(o, "instances", is);
	xmlFreeDoc(doc);
	*out = o;
	return 0;
}

/* Deletes a security group, waiting while AWS still reports a dependency (the load
 * balancer's network interfaces linger for minutes on real AWS). */
static int sg_delete(struct awsd_run *r, const char *name)
{
	char id[64];
	int rc = sg_find(r, name, id, NULL, NULL);
	if (rc || !id[0])
		return rc;
	time_t until = time(NULL) + r->d->delete_wait_s;
	for (int wait = 1;; wait = wait < 16 ? wait * 2 : 16) {
		struct sp_aws_params p;
		sp_aws_params_init(&p);
		sp_aws_params_add(&p, id, "GroupId");
		rc = query(r, SP_AWS_EC2, "DeleteSecurityGroup", &p, NULL, true);
		sp_aws_params_free(&p);
		if (rc == SP_ERROR && sp_aws_error_is(r->d->aws, "InvalidGroup.NotFound"))
			return 0;
		if (rc == SP_ERROR && sp_aws_error_is(r->d->aws, "DependencyViolation") &&
		    time(NULL) + wait <= until) {
			sleep_s(wait);
			continue;
		}
		if (rc) {
			awsd_fail(r, rc);
			return rc;
		}
		awsd_changed(r, "Deleted security group %s (%s).", name, id);
		return 0;
	}
}

int awsd_infra_destroy(struct awsd_run *r)
{
	xmlDoc *doc = NULL;
	xmlNode *g = NULL;
	struct sp_aws_params p;
	int rc = asg_describe(r, &doc, &g);
	if (rc)
		return rc;
	xmlFreeDoc(doc);
	doc = NULL;
	if (g) {
		sp_aws_params_init(&p);
		sp_aws_params_add(&p, r->n.asg, "AutoScalingGroupName");
		sp_aws_params_add(&p, "true", "ForceDelete");
		rc = query(r, SP_AWS_AUTOSCALING, "DeleteAutoScalingGroup", &p, NULL, false);
		sp_aws_params_free(&p);
		if (rc)
			return rc;
		awsd_changed(r, "Deleting Auto Scaling group %s and its instances.", r->n.asg);
		time_t until = time(NULL) + r->d->delete_wait_s;
		for (int wait = 1;; wait = wait < 15 ? wait * 2 : 15) {
			if ((rc = asg_describe(r, &doc, &g)))
				return rc;
			xmlFreeDoc(doc);
			doc = NULL;
			if (!g)
				break;
			if (time(NULL) + wait > until) {
				struct sp_loc loc = { NULL, 0, 0, "" };
				sp_diag_add(r->diags, SP_SEV_ERROR, "AWS_TIMEOUT", loc,
					    "terminate the environment again later",
					    "autoscaling DeleteAutoScalingGroup: %s still exists after "
					    "%d s", r->n.asg, r->d->delete_wait_s);
				return SP_ERROR;
			}
			sleep_s(wait);
		}
	}
	if ((rc = lc_delete_others(r, NULL)))
		return rc;
	sp_aws_params_init(&p);
	sp_aws_params_add(&p, r->n.lb, "LoadBalancerName");
	rc = lb_describe(r, &doc, &g);
	if (!rc && g) {
		rc = query(r, SP_AWS_ELB, "DeleteLoadBalancer", &p, NULL, false);
		if (!rc)
			awsd_changed(r, "Deleted load balancer %s.", r->n.lb);
	}
	sp_aws_params_free(&p);
	if (doc)
		xmlFreeDoc(doc);
	if (rc)
		return rc;
	/* The instances' group names the load balancer's as a source: it goes first. */
	if ((rc = sg_delete(r, r->n.sg_instances)))
		return rc;
	return sg_delete(r, r->n.sg_lb);
}
