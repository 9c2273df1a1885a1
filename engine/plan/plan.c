/* plan.c — building the environment plan from the option settings, the user's Resources
 * and the Dockerrun model (what each element means: plan.h and docs/plan.md). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan/plan.h"
#include "engine/plan/plan_int.h"
#include "engine/base/banned.h"

#define NS_LISTENER "aws:elb:listener"
#define NS_LB "aws:elb:loadbalancer"
#define NS_HC "aws:elb:healthcheck"
#define NS_POL "aws:elb:policies"
#define NS_LC "aws:autoscaling:launchconfiguration"
#define NS_APP "aws:elasticbeanstalk:application"
#define NS_ASG "aws:autoscaling:asg"
#define NS_CMD "aws:elasticbeanstalk:command"
#define NS_ENVT "aws:elasticbeanstalk:environment"

static const char *const ids_lb[] = {
	"AWSEBAutoScalingGroup", "AWSEBEC2LaunchTemplate", "AWSEBECSCluster",
	"AWSEBECSService", "AWSEBECSTaskDefinition", "AWSEBEnvironmentName",
	"AWSEBLoadBalancer", "AWSEBLoadBalancerSecurityGroup", "AWSEBSecurityGroup",
};
static const char *const ids_single[] = {
	"AWSEBAutoScalingGroup", "AWSEBEC2LaunchTemplate", "AWSEBECSCluster",
	"AWSEBECSService", "AWSEBECSTaskDefinition", "AWSEBEnvironmentName",
	"AWSEBSecurityGroup",
};

size_t sp_plan_eb_ids(bool load_balanced, const char *const **out)
{
	*out = load_balanced ? ids_lb : ids_single;
	return load_balanced ? sizeof(ids_lb) / sizeof(ids_lb[0])
			     : sizeof(ids_single) / sizeof(ids_single[0]);
}

static void origin_free(struct sp_plan_origin *o)
{
	free(o->file);
	free(o->path);
	free(o->what);
	memset(o, 0, sizeof(*o));
}

void sp_plan_free(struct sp_plan *p)
{
	if (!p)
		return;
	free(p->env_name);
	free(p->cluster_name);
	free(p->family);
	json_decref(p->taskdef);
	for (size_t i = 0; i < p->n_containers; i++) {
		free(p->containers[i].name);
		free(p->containers[i].image);
		free(p->containers[i].host_ports);
	}
	free(p->containers);
	free(p->lb_name);
	for (size_t i = 0; i < p->n_listeners; i++) {
		free(p->listeners[i].ssl_certificate_id);
		free(p->listeners[i].policy_names);
		origin_free(&p->listeners[i].origin);
	}
	free(p->listeners);
	free(p->health.target);
	origin_free(&p->health.origin);
	free(p->sg_name[0]);
	free(p->sg_name[1]);
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].cidr);
		free(p->rules[i].source_name);
		origin_free(&p->rules[i].origin);
	}
	free(p->rules);
	free(p->deploy.policy);
	free(p->deploy.batch_size_type);
	for (size_t i = 0; i < p->n_env; i++) {
		free(p->env[i].name);
		free(p->env[i].value);
	}
	free(p->env);
	free(p->sprout.hooks_image);
	free(p->launch.image_id);
	free(p->launch.instance_type);
	free(p->launch.iam_instance_profile);
	free(p->launch.ec2_key_name);
	json_decref(p->user_resources);
	json_decref(p->user_outputs);
	json_decref(p->user_mappings);
	json_decref(p->user_parameters);
	json_decref(p->env_cfn);
	for (size_t i = 0; i < p->n_settings; i++) {
		free(p->settings[i].ns);
		free(p->settings[i].name);
		free(p->settings[i].value);
		free(p->settings[i].file);
		free(p->settings[i].path);
	}
	free(p->settings);
	free(p);
}

/* ---- small helpers -------------------------------------------------------------------- */

struct build {
	const struct sp_plan_input *in;
	struct sp_plan *p;
	struct sp_diags *d;
	struct sp_ebx_context ctx;
	bool nomem;
	int def_instance_port; /* instance port of the default listener */
	bool def_enabled;      /* the default (port 80) listener exists */
};

static char *dup_or_flag(struct build *b, const char *s)
{
	if (!s)
		return NULL;
	char *r = sp_strdup(s);
	if (!r)
		b->nomem = true;
	return r;
}

static void origin_set(struct build *b, struct sp_plan_origin *o, const struct sp_opt_setting *s,
		       const char *what)
{
	origin_free(o);
	if (s) {
		o->file = dup_or_flag(b, s->file);
		o->line = s->line;
		o->column = s->column;
		o->path = dup_or_flag(b, s->path);
	}
	o->what = dup_or_flag(b, what);
}

static void origin_node(struct build *b, struct sp_plan_origin *o, const struct sp_doc *doc,
			const struct sp_node *n, const char *what)
{
	struct sp_buf path = SP_BUF_INIT(0);
	struct sp_loc loc = sp_node_loc(doc, n, &path);
	origin_free(o);
	o->file = dup_or_flag(b, loc.file);
	o->line = loc.line;
	o->column = loc.column;
	o->path = dup_or_flag(b, sp_buf_cstr(&path));
	o->what = dup_or_flag(b, what);
	sp_buf_free(&path);
}

static const struct sp_opt_setting *find(struct build *b, const char *ns, const char *name)
{
	return sp_options_find(b->in->opts, ns, name);
}

static const char *get(struct build *b, const char *ns, const char *name, const char *fallback)
{
	const char *v = sp_options_get(b->in->opts, ns, name);
	return v ? v : fallback;
}

/* A string option's value, NULL when unset or empty. */
static const char *get_set(struct build *b, const char *ns, const char *name)
{
	const char *v = get(b, ns, name, NULL);
	return v && *v ? v : NULL;
}

static int get_int(struct build *b, const char *ns, const char *name, int fallback)
{
	return (int)sp_options_get_int(b->in->opts, ns, name, fallback);
}

/* The first recorded setting of namespace ns (for locating a listener). */
static const struct sp_opt_setting *any_in_ns(struct build *b, const char *ns,
					      const char *prefer)
{
	const struct sp_opt_setting *s = prefer ? find(b, ns, prefer) : NULL;
	if (s)
		return s;
	for (size_t i = 0; i < sp_options_count(b->in->opts); i++) {
		const struct sp_opt_setting *t = sp_options_at(b->in->opts, i);
		if (strcmp(t->ns, ns) == 0)
			return t;
	}
	return NULL;
}

static bool http_layer(const char *proto)
{
	return strcmp(proto, "HTTP") == 0 || strcmp(proto, "HTTPS") == 0;
}

static void copy_proto(char dst[8], const char *src)
{
	snprintf(dst, 8, "%s", src);
}

/* ---- listeners ------------------------------------------------------------------------- */

static struct sp_plan_listener *add_listener(struct build *b)
{
	struct sp_plan *p = b->p;
	if (p->n_listeners >= MAX_PLAN_LISTENERS)
		return NULL;
	if (!p->listeners) {
		p->listeners = calloc(MAX_PLAN_LISTENERS, sizeof(*p->listeners));
		if (!p->listeners) {
			b->nomem = true;
			return NULL;
		}
	}
	return &p->listeners[p->n_listeners++];
}

/* Reads one listener namespace (ns) onto l; defaults from `def_*`. */
static void read_listener(struct build *b, struct sp_plan_listener *l, const char *ns, int port,
			  const char *def_proto, int def_instance_port)
{
	const struct sp_opt_setting *lp = find(b, ns, "ListenerProtocol");
	const char *proto = lp ? lp->value : def_proto;
	l->port = port;
	copy_proto(l->protocol, proto);
	const struct sp_opt_setting *ip = find(b, ns, "InstancePort");
	int64_t iport = def_instance_port;
	if (ip)
		sp_parse_i64(ip->value, &iport);
	l->instance_port = (int)iport;
	const struct sp_opt_setting *iproto = find(b, ns, "InstanceProtocol");
	copy_proto(l->instance_protocol, iproto ? iproto->value : http_layer(proto) ? "HTTP" : "TCP");
	const struct sp_opt_setting *cert = find(b, ns, "SSLCertificateId");
	if (cert && *cert->value)
		l->ssl_certificate_id = dup_or_flag(b, cert->value);
	const struct sp_opt_setting *pol = find(b, ns, "PolicyNames");
	if (pol && *pol->value)
		l->policy_names = dup_or_flag(b, pol->value);
	origin_set(b, &l->origin, any_in_ns(b, ns, "InstancePort"), ns);
}

static int cmp_listener(const void *a, const void *b)
{
	const struct sp_plan_listener *x = a, *y = b;
	return x->port - y->port;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void plan_listeners(struct build *b)
{
	struct sp_plan *p = b->p;
	const char *http_port = get(b, NS_LB, "LoadBalancerHTTPPort", "80");
	bool def_enabled = sp_options_get_bool(b->in->opts, NS_LISTENER, "ListenerEnabled", true) &&
			   strcmp(http_port, "OFF") != 0;
	const struct sp_opt_setting *en80 = find(b, "aws:elb:listener:80", "ListenerEnabled");
	if (en80)
		def_enabled = strcmp(en80->value, "true") == 0;
	int def_instance_port = get_int(b, NS_LISTENER, "InstancePort", 80);
	if (def_enabled) {
		struct sp_plan_listener *l = add_listener(b);
		if (!l)
			return;
		const char *proto = find(b, NS_LISTENER, "ListenerProtocol")
					    ? get(b, NS_LISTENER, "ListenerProtocol", "HTTP")
					    : get(b, NS_LB, "LoadBalancerPortProtocol", "HTTP");
		read_listener(b, l, NS_LISTENER, 80, proto, 80);
		if (any_in_ns(b, "aws:elb:listener:80", NULL)) {
			/* aws:elb:listener:80 is the default listener under another name */
			struct sp_plan_listener o = { 0 };
			read_listener(b, &o, "aws:elb:listener:80", 80, l->protocol, l->instance_port);
			if (find(b, "aws:elb:listener:80", "InstanceProtocol") ||
			    !find(b, NS_LISTENER, "InstanceProtocol"))
				copy_proto(l->instance_protocol, o.instance_protocol);
			copy_proto(l->protocol, o.protocol);
			l->instance_port = o.instance_port;
			if (o.ssl_certificate_id) {
				free(l->ssl_certificate_id);
				l->ssl_certificate_id = o.ssl_certificate_id;
				o.ssl_certificate_id = NULL;
			}
			free(o.ssl_certificate_id);
			free(o.policy_names);
			origin_free(&l->origin);
			l->origin = o.origin;
		} else if (!find(b, NS_LISTENER, "InstancePort") && !find(b, NS_LISTENER, "ListenerProtocol")) {
			const struct sp_opt_setting *s = find(b, NS_LB, "LoadBalancerPortProtocol");
			origin_set(b, &l->origin, s ? s : any_in_ns(b, NS_LISTENER, NULL),
				   s ? NS_LB : NS_LISTENER);
		}
		def_instance_port = l->instance_port;
	}
	b->def_enabled = def_enabled;
	b->def_instance_port = def_instance_port;
	/* The deprecated secure listener of aws:elb:loadbalancer. */
	const char *https = get(b, NS_LB, "LoadBalancerHTTPSPort", "OFF");
	if (strcmp(https, "OFF") != 0) {
		struct sp_plan_listener *l = add_listener(b);
		if (!l)
			return;
		const char *proto = get(b, NS_LB, "LoadBalancerSSLPortProtocol", "HTTPS");
		int64_t port = 443;
		sp_parse_i64(https, &port);
		l->port = (int)port;
		copy_proto(l->protocol, proto);
		l->instance_port = def_instance_port;
		copy_proto(l->instance_protocol, http_layer(proto) ? "HTTP" : "TCP");
		const char *cert = get(b, NS_LB, "SSLCertificateId", NULL);
		if (cert && *cert)
			l->ssl_certificate_id = dup_or_flag(b, cert);
		origin_set(b, &l->origin, find(b, NS_LB, "LoadBalancerHTTPSPort"), NS_LB);
	}
	/* One per aws:elb:listener:<port> namespace (in first-set order, sorted below). */
	for (size_t i = 0; i < sp_options_count(b->in->opts); i++) {
		const struct sp_opt_setting *s = sp_options_at(b->in->opts, i);
		int port = sp_opt_listener_port(s->ns);
		if (!port || port == 80 || any_in_ns(b, s->ns, NULL) != s)
			continue; /* not a listener, the default one, or seen already */
		const struct sp_opt_setting *en = find(b, s->ns, "ListenerEnabled");
		if (en && strcmp(en->value, "true") != 0)
			continue;
		struct sp_plan_listener *l = add_listener(b);
		if (!l)
			return;
		read_listener(b, l, s->ns, port, "HTTP", port);
	}
	if (p->n_listeners > 1) {
		/* stable by port: insertion sort keeps the order of equal ports */
		for (size_t i = 1; i < p->n_listeners; i++)
			for (size_t j = i; j > 0 && cmp_listener(&p->listeners[j - 1], &p->listeners[j]) > 0; j--) {
				struct sp_plan_listener t = p->listeners[j];
				p->listeners[j] = p->listeners[j - 1];
				p->listeners[j - 1] = t;
			}
	}
}

/* ---- health check ------------------------------------------------------------------------ */

static int target_port(const char *t)
{
	const char *c = strchr(t, ':');
	int port = 0;
	for (const char *q = c ? c + 1 : ""; isdigit((unsigned char)*q); q++)
		port = port * 10 + (*q - '0');
	return port;
}

static void plan_health(struct build *b)
{
	struct sp_plan *p = b->p;
	int def_port = 80;
	if (p->n_listeners) {
		def_port = p->listeners[0].instance_port;
		for (size_t i = 0; i < p->n_listeners; i++)
			if (p->listeners[i].port == 80) {
				def_port = p->listeners[i].instance_port;
				break;
			}
	}
	const struct sp_opt_setting *url = find(b, NS_APP, "Application Healthcheck URL");
	const struct sp_opt_setting *tgt = find(b, NS_HC, "Target");
	char *target = NULL;
	if (url && *url->value) {
		if (url->value[0] == '/')
			target = sp_aprintf("HTTP:%d%s", def_port, url->value);
		else if ((strncmp(url->value, "HTTP", 4) == 0) && !strchr(url->value, '/'))
			target = sp_aprintf("%s/", url->value);
		else
			target = sp_strdup(url->value);
		origin_set(b, &p->health.origin, url, NS_APP);
	} else if (tgt) {
		target = sp_strdup(tgt->value);
		origin_set(b, &p->health.origin, tgt, NS_HC);
	} else {
		target = sp_aprintf("TCP:%d", def_port);
		origin_set(b, &p->health.origin, NULL, "default");
	}
	if (!target) {
		b->nomem = true;
		return;
	}
	p->health.target = target;
	p->health.port = target_port(target);
	p->health.healthy = get_int(b, NS_HC, "HealthyThreshold", 3);
	p->health.unhealthy = get_int(b, NS_HC, "UnhealthyThreshold", 5);
	p->health.interval = get_int(b, NS_HC, "Interval", 10);
	p->health.timeout = get_int(b, NS_HC, "Timeout", 5);
}

/* ---- security group rules ------------------------------------------------------------------ */

static struct sp_plan_rule *add_rule(struct build *b, enum sp_plan_sg group, const char *proto,
				     int from, int to)
{
	struct sp_plan *p = b->p;
	if (p->n_rules >= MAX_PLAN_RULES)
		return NULL;
	if (!p->rules) {
		p->rules = calloc(MAX_PLAN_RULES, sizeof(*p->rules));
		if (!p->rules) {
			b->nomem = true;
			return NULL;
		}
	}
	struct sp_plan_rule *r = &p->rules[p->n_rules++];
	r->group = group;
	copy_proto(r->protocol, proto);
	r->from_port = from;
	r->to_port = to;
	return r;
}

static void default_rules(struct build *b)
{
	struct sp_plan *p = b->p;
	if (!p->load_balanced) {
		struct sp_plan_rule *r = add_rule(b, SP_PLAN_SG_INSTANCE, "tcp", 80, 80);
		if (r) {
			r->cidr = dup_or_flag(b, "0.0.0.0/0");
			r->is_default = true;
			origin_set(b, &r->origin, NULL, "default");
		}
		return;
	}
	for (size_t i = 0; i < p->n_listeners; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= p->listeners[j].port == p->listeners[i].port;
		if (seen)
			continue;
		struct sp_plan_rule *r = add_rule(b, SP_PLAN_SG_LB, "tcp", p->listeners[i].port,
						  p->listeners[i].port);
		if (r) {
			r->cidr = dup_or_flag(b, "0.0.0.0/0");
			r->is_default = true;
			origin_set(b, &r->origin, NULL, "default");
		}
	}
	/* EB opens the default listener's instance port to the load balancer's group. */
	if (!b->def_enabled && strcmp(get(b, NS_LB, "LoadBalancerHTTPSPort", "OFF"), "OFF") == 0)
		return;
	int port = b->def_instance_port;
	struct sp_plan_rule *r = add_rule(b, SP_PLAN_SG_INSTANCE, "tcp", port, port);
	if (r) {
		r->source = SP_PLAN_SG_LB;
		r->is_default = true;
		origin_set(b, &r->origin, NULL, "default");
	}
}

/* Which of the plan's groups a value names, SP_PLAN_SG_OTHER when none. */
static enum sp_plan_sg group_of(const struct sp_ebx_value *v)
{
	if (v->kind != SP_EBX_REF && v->kind != SP_EBX_GETATT)
		return SP_PLAN_SG_OTHER;
	if (strcmp(v->text, "AWSEBSecurityGroup") == 0)
		return SP_PLAN_SG_INSTANCE;
	if (strcmp(v->text, "AWSEBLoadBalancerSecurityGroup") == 0)
		return SP_PLAN_SG_LB;
	if (strcmp(v->text, "AWSEBLoadBalancer") == 0 && v->attr &&
	    strncmp(v->attr, "SourceSecurityGroup.", 20) == 0)
		return SP_PLAN_SG_LB;
	return SP_PLAN_SG_OTHER;
}

static bool eval_quiet(struct build *b, const struct sp_doc *doc, const struct sp_node *n,
		       struct sp_ebx_value *v)
{
	struct sp_diags tmp;
	sp_diags_init(&tmp);
	int rc = n ? sp_ebx_eval(&b->ctx, doc, n, &tmp, v) : SP_EINVAL;
	sp_diags_free(&tmp);
	if (rc == SP_ENOMEM)
		b->nomem = true;
	return rc == 0;
}

static bool port_of(struct build *b, const struct sp_doc *doc, const struct sp_node *n, int *out)
{
	struct sp_ebx_value v = { 0 };
	bool ok = false;
	if (eval_quiet(b, doc, n, &v) && v.kind == SP_EBX_LITERAL) {
		int64_t x;
		if (sp_parse_i64(v.text, &x) == 0 && x >= -1 && x <= 65535) {
			*out = (int)x;
			ok = true;
		}
	}
	sp_ebx_value_free(&v);
	return ok;
}

/* One ingress rule from a map of SecurityGroupIngress properties. */
static void user_rule(struct build *b, const struct sp_doc *doc, const struct sp_node *props,
		      enum sp_plan_sg group, const char *what, const struct sp_node *at)
{
	struct sp_ebx_value v = { 0 };
	const struct sp_node *proto = sp_node_get(props, "IpProtocol");
	char protocol[8] = "tcp";
	if (proto && eval_quiet(b, doc, proto, &v) && v.kind == SP_EBX_LITERAL) {
		snprintf(protocol, sizeof(protocol), "%s", v.text);
		for (char *c = protocol; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (strcmp(protocol, "6") == 0)
			snprintf(protocol, sizeof(protocol), "tcp");
	}
	sp_ebx_value_free(&v);
	int from = -1, to = -1;
	bool ports = true;
	if (strcmp(protocol, "-1") != 0) {
		ports = port_of(b, doc, sp_node_get(props, "FromPort"), &from) &&
			port_of(b, doc, sp_node_get(props, "ToPort"), &to);
	}
	if (!ports) {
		sp_diag_node(b->d, SP_SEV_WARNING, "PLAN_INGRESS_UNRESOLVED", doc, at,
			     "write FromPort and ToPort as numbers",
			     "ingress rule %s: its ports cannot be determined; the plan does not "
			     "count it", what);
		return;
	}
	struct sp_plan_rule *r = add_rule(b, group, protocol, from, to);
	if (!r)
		return;
	origin_node(b, &r->origin, doc, at, what);
	static const char *const cidr_keys[] = { "CidrIp", "CidrIpv6" };
	for (size_t i = 0; i < 2 && !r->cidr; i++) {
		const struct sp_node *c = sp_node_get(props, cidr_keys[i]);
		if (c && eval_quiet(b, doc, c, &v) && v.kind == SP_EBX_LITERAL)
			r->cidr = dup_or_flag(b, v.text);
		sp_ebx_value_free(&v);
	}
	if (r->cidr)
		return;
	static const char *const src_keys[] = { "SourceSecurityGroupId", "SourceSecurityGroupName" };
	r->source = SP_PLAN_SG_OTHER;
	for (size_t i = 0; i < 2; i++) {
		const struct sp_node *c = sp_node_get(props, src_keys[i]);
		if (!c)
			continue;
		if (eval_quiet(b, doc, c, &v)) {
			r->source = group_of(&v);
			if (r->source == SP_PLAN_SG_OTHER && v.text)
				r->source_name = dup_or_flag(b, v.text);
		}
		sp_ebx_value_free(&v);
		break;
	}
	if (r->source == SP_PLAN_SG_OTHER && !r->source_name)
		r->source_name = dup_or_flag(b, "(unresolved)");
}

static void user_rules(struct build *b)
{
	const struct sp_ebx *x = b->in->ebx;
	for (size_t i = 0; i < sp_ebx_resource_count(x); i++) {
		const struct sp_ebx_resource *res = sp_ebx_resource_at(x, i);
		const struct sp_node *props = sp_node_get(res->node, "Properties");
		if (!props || props->type != SP_NODE_MAP)
			continue;
		bool own_lb = strcmp(res->logical_id, "AWSEBLoadBalancerSecurityGroup") == 0;
		bool own_inst = strcmp(res->logical_id, "AWSEBSecurityGroup") == 0;
		if (own_inst || (own_lb && b->p->load_balanced)) {
			const struct sp_node *list = sp_node_get(props, "SecurityGroupIngress");
			for (size_t j = 0; list && list->type == SP_NODE_SEQ && j < list->n; j++)
				if (list->items[j]->type == SP_NODE_MAP)
					user_rule(b, res->doc, list->items[j],
						  own_inst ? SP_PLAN_SG_INSTANCE : SP_PLAN_SG_LB,
						  res->logical_id, list->items[j]);
			continue;
		}
		if (!res->type || strcmp(res->type, "AWS::EC2::SecurityGroupIngress") != 0)
			continue;
		const struct sp_node *g = sp_node_get(props, "GroupId");
		if (!g)
			g = sp_node_get(props, "GroupName");
		struct sp_ebx_value v = { 0 };
		enum sp_plan_sg group = SP_PLAN_SG_OTHER;
		if (g && eval_quiet(b, res->doc, g, &v))
			group = group_of(&v);
		sp_ebx_value_free(&v);
		if (group == SP_PLAN_SG_OTHER || (group == SP_PLAN_SG_LB && !b->p->load_balanced))
			continue; /* a rule on a group of the user's own: not the plan's business */
		user_rule(b, res->doc, props, group, res->logical_id, res->key);
	}
}

/* ---- CloudFormation parts of the user ------------------------------------------------------- */

static bool eb_id_global(const char *id)
{
	return strncmp(id, "AWSEB", 5) == 0;
}

static void merge_resource(json_t *all, const char *id, json_t *r)
{
	json_t *old = json_object_get(all, id);
	if (!old || !json_is_object(old) || !json_is_object(r)) {
		json_object_set(all, id, r);
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach(r, k, v) {
		json_t *ov = json_object_get(old, k);
		if ((strcmp(k, "Properties") == 0 || strcmp(k, "Metadata") == 0) &&
		    json_is_object(ov) && json_is_object(v))
			json_object_update(ov, v);
		else
			json_object_set(old, k, v);
	}
}

static void user_cfn(struct build *b)
{
	struct sp_plan *p = b->p;
	const struct sp_ebx *x = b->in->ebx;
	p->user_resources = json_object();
	p->user_outputs = json_object();
	p->user_mappings = json_object();
	p->user_parameters = json_object();
	if (!p->user_resources || !p->user_outputs || !p->user_mappings || !p->user_parameters) {
		b->nomem = true;
		return;
	}
	for (size_t i = 0; i < sp_ebx_resource_count(x); i++) {
		const struct sp_ebx_resource *res = sp_ebx_resource_at(x, i);
		bool present = false;
		for (size_t j = 0; j < b->ctx.n_eb_ids; j++)
			present |= strcmp(b->ctx.eb_ids[j], res->logical_id) == 0;
		if (eb_id_global(res->logical_id) && !present && !res->type) {
			sp_diag_node(b->d, SP_SEV_WARNING, "PLAN_RESOURCE_NOT_IN_ENV", res->doc,
				     res->key,
				     p->load_balanced ? "sprout plans a classic load balancer; "
							"resources of other load balancer types do "
							"not exist"
						      : "a single-instance environment has no load "
							"balancer",
				     "%s overrides a resource this environment does not have; it "
				     "is left out", res->logical_id);
			continue;
		}
		json_t *j = sp_ebx_to_cfn(&b->ctx, res->node);
		if (!j) {
			b->nomem = true;
			return;
		}
		merge_resource(p->user_resources, res->logical_id, j);
		json_decref(j);
	}
	for (size_t i = 0; i < sp_ebx_section_count(x); i++) {
		const struct sp_ebx_section *s = sp_ebx_section_at(x, i);
		json_t *j = sp_ebx_to_cfn(&b->ctx, s->node);
		json_t *dst = strcmp(s->name, "Outputs") == 0	 ? p->user_outputs
			      : strcmp(s->name, "Mappings") == 0 ? p->user_mappings
								 : p->user_parameters;
		if (!j) {
			b->nomem = true;
			return;
		}
		json_object_update(dst, j);
		json_decref(j);
	}
}

/* ---- environment properties, task definition ------------------------------------------------ */

static int cmp_env(const void *a, const void *b)
{
	return strcmp(((const struct sp_plan_env *)a)->name, ((const struct sp_plan_env *)b)->name);
}

static void plan_env(struct build *b)
{
	struct sp_plan *p = b->p;
	size_t n = 0;
	for (size_t i = 0; i < sp_options_count(b->in->opts); i++)
		n += strcmp(sp_options_at(b->in->opts, i)->ns, SP_NS_ENV) == 0;
	p->env_cfn = json_object();
	if (!p->env_cfn || (n && !(p->env = calloc(n, sizeof(*p->env))))) {
		b->nomem = true;
		return;
	}
	for (size_t i = 0; i < sp_options_count(b->in->opts); i++) {
		const struct sp_opt_setting *s = sp_options_at(b->in->opts, i);
		if (strcmp(s->ns, SP_NS_ENV) != 0)
			continue;
		struct sp_buf v = SP_BUF_INIT(0);
		bool unresolved = false;
		if (sp_ebx_expand_backticks(&b->ctx, s->value, &v, &unresolved) != 0)
			b->nomem = true;
		struct sp_plan_env *e = &p->env[p->n_env++];
		e->name = dup_or_flag(b, s->name);
		e->value = dup_or_flag(b, sp_buf_cstr(&v));
		e->unresolved = unresolved;
		sp_buf_free(&v);
		json_t *cv = sp_ebx_backticks_to_cfn(&b->ctx, s->value);
		if (!cv || json_object_set_new(p->env_cfn, s->name, cv))
			b->nomem = true;
		if (unresolved) {
			struct sp_loc loc = { s->file, s->line, s->column, s->path };
			sp_diag_add(b->d, SP_SEV_WARNING, "PLAN_ENV_UNRESOLVED", loc,
				    "the CloudFormation export keeps the function; the local driver "
				    "passes the text as written",
				    "environment property %s refers to a value only CloudFormation "
				    "knows (a backtick function that sprout cannot evaluate)", s->name);
		}
	}
	if (p->n_env > 1)
		qsort(p->env, p->n_env, sizeof(*p->env), cmp_env);
}

static void plan_taskdef(struct build *b)
{
	struct sp_plan *p = b->p;
	const struct sp_dockerrun *dr = b->in->dockerrun;
	struct sp_buf fam = SP_BUF_INIT(512);
	if (sp_taskdef_family(p->env_name, b->in->env_id, &fam) != 0) {
		sp_buf_reset(&fam);
		sp_buf_printf(&fam, "awseb-%s", p->env_name);
	}
	p->family = dup_or_flag(b, sp_buf_cstr(&fam));
	p->cluster_name = dup_or_flag(b, sp_buf_cstr(&fam));
	sp_buf_free(&fam);
	p->revision = b->in->taskdef_revision > 0 ? b->in->taskdef_revision : 1;
	if (!dr || !p->family)
		return;
	int rc = sp_taskdef_to_json(dr, p->family, &p->taskdef);
	if (rc != 0) {
		if (rc == SP_ENOMEM)
			b->nomem = true;
		return;
	}
	p->containers = calloc(dr->n_containers ? dr->n_containers : 1, sizeof(*p->containers));
	if (!p->containers) {
		b->nomem = true;
		return;
	}
	for (size_t i = 0; i < dr->n_containers; i++) {
		const struct sp_dr_container *c = &dr->containers[i];
		struct sp_plan_container *pc = &p->containers[p->n_containers++];
		pc->name = dup_or_flag(b, c->name);
		pc->image = dup_or_flag(b, c->image);
		pc->host_ports = calloc(c->n_ports ? c->n_ports : 1, sizeof(int));
		if (!pc->host_ports) {
			b->nomem = true;
			return;
		}
		for (size_t j = 0; j < c->n_ports; j++)
			if (c->ports[j].host_port > 0 && c->ports[j].protocol == SP_DR_TCP)
				pc->host_ports[pc->n_host_ports++] = c->ports[j].host_port;
		if (pc->n_host_ports > 1)
			qsort(pc->host_ports, pc->n_host_ports, sizeof(int), cmp_int);
	}
	/* Environment properties reach every container; a container's own value wins. */
	json_t *defs = json_object_get(p->taskdef, "containerDefinitions");
	size_t i;
	json_t *def;
	json_array_foreach(defs, i, def) {
		json_t *env = json_object_get(def, "environment");
		if (!env) {
			env = json_array();
			if (!env || json_object_set_new(def, "environment", env)) {
				b->nomem = true;
				return;
			}
		}
		for (size_t k = 0; k < p->n_env; k++) {
			bool has = false;
			size_t m;
			json_t *e;
			json_array_foreach(env, m, e) {
				const char *n = json_string_value(json_object_get(e, "name"));
				has |= n && strcmp(n, p->env[k].name) == 0;
			}
			if (!has && json_array_append_new(env, json_pack("{s:s,s:s}", "name",
									 p->env[k].name, "value",
									 p->env[k].value)))
				b->nomem = true;
		}
	}
}

/* ---- the rest ------------------------------------------------------------------------------ */

static bool env_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || n > 40 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static void copy_settings(struct build *b)
{
	struct sp_plan *p = b->p;
	size_t n = sp_options_count(b->in->opts);
	if (!n)
		return;
	p->settings = calloc(n, sizeof(*p->settings));
	if (!p->settings) {
		b->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sp_opt_setting *s = sp_options_at(b->in->opts, i);
		struct sp_opt_setting *t = &p->settings[p->n_settings++];
		t->ns = dup_or_flag(b, s->ns);
		t->name = dup_or_flag(b, s->name);
		t->value = dup_or_flag(b, s->value);
		t->file = dup_or_flag(b, s->file);
		t->path = dup_or_flag(b, s->path);
		t->level = s->level;
		t->line = s->line;
		t->column = s->column;
	}
}

int sp_plan_build(const struct sp_plan_input *in, struct sp_diags *d, struct sp_plan **out)
{
	if (!in || !in->opts || !in->env_name)
		return SP_EINVAL;
	struct sp_loc noloc = { NULL, 0, 0, "" };
	if (!env_name_ok(in->env_name)) {
		sp_diag_add(d, SP_SEV_ERROR, "PLAN_ENV_NAME", noloc,
			    "4 to 40 letters, digits and hyphens, not starting or ending with a "
			    "hyphen",
			    "\"%s\" is not a valid environment name", in->env_name);
		return SP_ERROR;
	}
	size_t errors_before = sp_diags_errors(d);
	struct build b = { .in = in, .d = d, .def_instance_port = 80 };
	struct sp_plan *p = calloc(1, sizeof(*p));
	if (!p)
		return SP_ENOMEM;
	b.p = p;
	p->env_name = dup_or_flag(&b, in->env_name);
	const char *envtype = get(&b, NS_ENVT, "EnvironmentType", "LoadBalanced");
	p->load_balanced = strcmp(envtype, "SingleInstance") != 0;
	const char *const *ids;
	b.ctx = (struct sp_ebx_context){ in->ebx, in->opts, NULL, 0, in->env_name,
					 in->region ? in->region : "us-east-1" };
	b.ctx.n_eb_ids = sp_plan_eb_ids(p->load_balanced, &ids);
	b.ctx.eb_ids = ids;

	const char *lbtype = get(&b, NS_ENVT, "LoadBalancerType", "classic");
	if (p->load_balanced && strcmp(lbtype, "classic") != 0) {
		const struct sp_opt_setting *s = find(&b, NS_ENVT, "LoadBalancerType");
		struct sp_loc loc = { s->file, s->line, s->column, s->path };
		sp_diag_add(d, SP_SEV_WARNING, "PLAN_LB_TYPE", loc,
			    "listeners are read from aws:elb:listener and aws:elb:listener:<port>; "
			    "aws:elbv2:* settings are not applied",
			    "LoadBalancerType %s: sprout plans a classic load balancer", lbtype);
	}

	p->lb_name = sp_aprintf("awseb-%.26s", in->env_name);
	p->sg_name[0] = sp_aprintf("awseb-%s-instances", in->env_name);
	p->sg_name[1] = sp_aprintf("awseb-%s-loadbalancer", in->env_name);
	if (!p->lb_name || !p->sg_name[0] || !p->sg_name[1])
		b.nomem = true;

	plan_env(&b);
	plan_taskdef(&b);
	if (p->load_balanced) {
		plan_listeners(&b);
		plan_health(&b);
	}
	p->cross_zone = sp_options_get_bool(in->opts, NS_LB, "CrossZone", false);
	p->draining = sp_options_get_bool(in->opts, NS_POL, "ConnectionDrainingEnabled", false);
	p->draining_timeout = get_int(&b, NS_POL, "ConnectionDrainingTimeout", 20);
	p->idle_timeout = get_int(&b, NS_POL, "ConnectionSettingIdleTimeout", 60);
	default_rules(&b);
	user_rules(&b);

	p->min_size = get_int(&b, NS_ASG, "MinSize", 1);
	p->max_size = get_int(&b, NS_ASG, "MaxSize", 4);
	p->cooldown = get_int(&b, NS_ASG, "Cooldown", 360);
	if (!p->load_balanced)
		p->min_size = p->max_size = 1;
	p->launch.image_id = dup_or_flag(&b, get_set(&b, NS_LC, "ImageId"));
	p->launch.instance_type = dup_or_flag(&b, get_set(&b, NS_LC, "InstanceType"));
	p->launch.iam_instance_profile = dup_or_flag(&b, get_set(&b, NS_LC, "IamInstanceProfile"));
	p->launch.ec2_key_name = dup_or_flag(&b, get_set(&b, NS_LC, "EC2KeyName"));

	p->deploy.policy = dup_or_flag(&b, get(&b, NS_CMD, "DeploymentPolicy", "AllAtOnce"));
	p->deploy.batch_size_type = dup_or_flag(&b, get(&b, NS_CMD, "BatchSizeType", "Percentage"));
	p->deploy.batch_size = get_int(&b, NS_CMD, "BatchSize", 100);
	p->deploy.timeout = get_int(&b, NS_CMD, "Timeout", 600);
	p->deploy.ignore_health_check = sp_options_get_bool(in->opts, NS_CMD, "IgnoreHealthCheck", false);
	p->deploy.rollback_on_failure = sp_options_get_bool(in->opts, "sprout:deploy", "RollbackOnFailure", false);

	p->sprout.allow_privileged = sp_options_get_bool(in->opts, "sprout:security", "AllowPrivileged", false);
	p->sprout.allow_host_paths = sp_options_get_bool(in->opts, "sprout:security", "AllowHostPaths", false);
	p->sprout.allow_docker_socket = sp_options_get_bool(in->opts, "sprout:security", "AllowDockerSocket", false);
	p->sprout.shared_bridge = !strcmp(get(&b, "sprout:security", "TaskNetwork", "task"), "bridge");
	p->sprout.strict_image_checks = sp_options_get_bool(in->opts, "sprout:images", "StrictImageChecks", false);
	p->sprout.hooks_image = dup_or_flag(&b, get(&b, "sprout:hooks", "Image", NULL));
	p->sprout.hooks_timeout = get_int(&b, "sprout:hooks", "Timeout", 600);

	copy_settings(&b);
	user_cfn(&b);
	if (!b.nomem && sp_ebx_check_refs(&b.ctx, d) == SP_ENOMEM)
		b.nomem = true;
	if (!b.nomem && sp_plan_check(p, d) == SP_ENOMEM)
		b.nomem = true;
	if (b.nomem) {
		sp_plan_free(p);
		return SP_ENOMEM;
	}
	if (sp_diags_errors(d) > errors_before) {
		sp_plan_free(p);
		return SP_ERROR;
	}
	*out = p;
	return 0;
}
