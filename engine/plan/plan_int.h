/* plan_int.h — helpers shared by the files of engine/plan (not installed). */
#ifndef SPROUT_PLAN_INT_H
#define SPROUT_PLAN_INT_H

#include "engine/plan/plan.h"

/* "AWSEBSecurityGroup" / "AWSEBLoadBalancerSecurityGroup" / "" */
const char *plan_sg_logical_id(enum sp_plan_sg g);
/* The recorded setting ns/name of the plan, NULL when it was a default. */
const struct sp_opt_setting *plan_setting(const struct sp_plan *p, const char *ns,
					  const char *name);
/* true when a container publishes TCP host port `port`. */
bool plan_port_served(const struct sp_plan *p, int port);
/* true when the rule admits traffic from the load balancer to instance port `port`. */
bool plan_rule_opens(const struct sp_plan_rule *r, int port);

#endif
