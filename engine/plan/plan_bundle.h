/* plan_bundle.h — glue between a bundle manifest (bundles/bundle.h) and the plan's inputs,
 * for the validate pipeline and `sprout plan`. */
#ifndef SPROUT_PLAN_BUNDLE_H
#define SPROUT_PLAN_BUNDLE_H

#include "ebextensions/ebextensions.h"
#include "engine/dockerrun/dockerrun.h"

struct sp_bundle;

/* Loads every .ebextensions/<name>.config the manifest kept (sorted, EB's order) into x,
 * option settings into opts at SP_OPT_LEVEL_EBEXT; files are named prefix + entry path in
 * diagnostics. Returns 0, SP_ENOMEM or SP_ETOOBIG; problems are in d. */
int sp_plan_load_ebextensions(const struct sp_bundle *b, const char *prefix, struct sp_ebx *x,
			      struct sp_options *opts, struct sp_diags *d);

/* ORs the sprout:security allowances of o into out (for the Dockerrun loader). */
int sp_plan_dockerrun_options(const struct sp_options *o, struct sp_dockerrun_options *out);

#endif
