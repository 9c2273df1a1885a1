/* plan_text.c — the readable tree `sprout plan` prints: what will exist, and where each
 * setting comes from. */
#include <stdio.h>
#include <string.h>

#include "engine/plan/plan_int.h"
#include "engine/base/banned.h"

static void put_origin(struct sp_buf *b, const struct sp_plan_origin *o)
{
	if (o->file && o->line)
		sp_buf_printf(b, "  (%s:%d)", o->file, o->line);
	else if (o->file)
		sp_buf_printf(b, "  (%s)", o->file);
	else
		sp_buf_puts(b, "  (default)");
}

static void put_ports(struct sp_buf *b, const struct sp_plan_rule *r)
{
	if (strcmp(r->protocol, "-1") == 0)
		sp_buf_puts(b, "all traffic");
	else if (r->from_port == r->to_port)
		sp_buf_printf(b, "%s %d", r->protocol, r->from_port);
	else
		sp_buf_printf(b, "%s %d-%d", r->protocol, r->from_port, r->to_port);
}

static void put_rules(struct sp_buf *b, const struct sp_plan *p, enum sp_plan_sg g)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sp_plan_rule *r = &p->rules[i];
		if (r->group != g)
			continue;
		sp_buf_puts(b, "    ingress ");
		put_ports(b, r);
		if (r->cidr)
			sp_buf_printf(b, " from %s", r->cidr);
		else if (r->source == SP_PLAN_SG_OTHER)
			sp_buf_printf(b, " from %s", r->source_name);
		else
			sp_buf_printf(b, " from %s", plan_sg_logical_id(r->source));
		if (r->is_default)
			sp_buf_puts(b, "  (default)");
		else
			put_origin(b, &r->origin);
		sp_buf_putc(b, '\n');
	}
}

int sp_plan_render_options(const struct sp_options *o, struct sp_buf *b)
{
	size_t n = sp_options_count(o);
	sp_buf_puts(b, "option settings\n");
	if (!n)
		sp_buf_puts(b, "  (none: every option has its default)\n");
	for (size_t i = 0; i < n; i++) {
		const struct sp_opt_setting *s = sp_options_at(o, i);
		sp_buf_printf(b, "  %s %s = %s", s->ns, s->name, s->value);
		if (s->file && s->line)
			sp_buf_printf(b, "  (%s:%d, %s)\n", s->file, s->line,
				      sp_opt_level_name(s->level));
		else
			sp_buf_printf(b, "  (%s)\n", s->file ? s->file : sp_opt_level_name(s->level));
	}
	return b->len > 0 ? 0 : SP_ENOMEM;
}

int sp_plan_render_text(const struct sp_plan *p, struct sp_buf *b)
{
	sp_buf_printf(b, "environment %s (%s)\n", p->env_name,
		      p->load_balanced ? "LoadBalanced" : "SingleInstance");
	sp_buf_printf(b, "  cluster %s\n", p->cluster_name);
	if (p->taskdef) {
		sp_buf_printf(b, "  task definition %s:%d\n", p->family, p->revision);
		for (size_t i = 0; i < p->n_containers; i++) {
			const struct sp_plan_container *c = &p->containers[i];
			sp_buf_printf(b, "    container %s  image %s  host ports", c->name, c->image);
			if (!c->n_host_ports)
				sp_buf_puts(b, " none");
			for (size_t j = 0; j < c->n_host_ports; j++)
				sp_buf_printf(b, "%s%d", j ? ", " : " ", c->host_ports[j]);
			sp_buf_putc(b, '\n');
		}
	}
	if (p->load_balanced) {
		sp_buf_printf(b, "  load balancer %s (classic)\n", p->lb_name);
		if (!p->n_listeners)
			sp_buf_puts(b, "    no listeners\n");
		for (size_t i = 0; i < p->n_listeners; i++) {
			const struct sp_plan_listener *l = &p->listeners[i];
			sp_buf_printf(b, "    listener %d %s -> instance port %d %s", l->port, l->protocol,
				      l->instance_port, l->instance_protocol);
			if (l->ssl_certificate_id)
				sp_buf_printf(b, "  certificate %s", l->ssl_certificate_id);
			put_origin(b, &l->origin);
			sp_buf_putc(b, '\n');
		}
		sp_buf_printf(b, "    health check %s every %ds, timeout %ds, healthy after %d, "
				 "unhealthy after %d",
			      p->health.target, p->health.interval, p->health.timeout,
			      p->health.healthy, p->health.unhealthy);
		put_origin(b, &p->health.origin);
		sp_buf_putc(b, '\n');
		sp_buf_printf(b, "    cross-zone %s, connection draining %s", p->cross_zone ? "on" : "off",
			      p->draining ? "on" : "off");
		if (p->draining)
			sp_buf_printf(b, " (%ds)", p->draining_timeout);
		sp_buf_printf(b, ", idle timeout %ds\n", p->idle_timeout);
		sp_buf_printf(b, "  security group AWSEBLoadBalancerSecurityGroup (%s)\n",
			      p->sg_name[SP_PLAN_SG_LB]);
		put_rules(b, p, SP_PLAN_SG_LB);
	}
	sp_buf_printf(b, "  security group AWSEBSecurityGroup (%s)\n", p->sg_name[SP_PLAN_SG_INSTANCE]);
	put_rules(b, p, SP_PLAN_SG_INSTANCE);
	if (p->load_balanced)
		sp_buf_printf(b, "  instances %d to %d, %d at start, one task each, cooldown %ds\n",
			      p->min_size, p->max_size, p->min_size, p->cooldown);
	else
		sp_buf_puts(b, "  instances 1 (single instance, no load balancer), one task\n");
	sp_buf_printf(b, "  deployment %s, batch %d %s, timeout %ds%s%s\n", p->deploy.policy,
		      p->deploy.batch_size,
		      strcmp(p->deploy.batch_size_type, "Fixed") == 0 ? "instances" : "percent",
		      p->deploy.timeout, p->deploy.ignore_health_check ? ", ignoring health checks" : "",
		      p->deploy.rollback_on_failure ? ", roll back on failure" : "");
	sp_buf_printf(b, "  environment properties%s\n", p->n_env ? "" : " none");
	for (size_t i = 0; i < p->n_env; i++)
		sp_buf_printf(b, "    %s=%s%s\n", p->env[i].name, p->env[i].value,
			      p->env[i].unresolved ? "  (unresolved function)" : "");
	sp_buf_printf(b, "  sprout: privileged %s, host paths %s, docker socket %s, strict image "
			 "checks %s, hook timeout %ds%s%s%s\n",
		      p->sprout.allow_privileged ? "allowed" : "refused",
		      p->sprout.allow_host_paths ? "allowed" : "refused",
		      p->sprout.allow_docker_socket ? "allowed" : "refused",
		      p->sprout.strict_image_checks ? "on" : "off", p->sprout.hooks_timeout,
		      p->sprout.hooks_image ? ", hook image " : "",
		      p->sprout.hooks_image ? p->sprout.hooks_image : "",
		      p->sprout.shared_bridge ? ", tasks on Docker's default bridge (not isolated)" : "");
	return b->len > 0 ? 0 : SP_ENOMEM;
}
