/* codes.c — every EBX_* diagnostic with its meaning and fix (docs/diagnostics.md). */
#include <stddef.h>

#include "ebextensions/ebextensions.h"
#include "engine/base/banned.h"

const struct sp_code_doc sp_ebx_codes[] = {
	{ "EBX_DUPLICATE_KEY", "warning", "a top-level key appears twice in one file (shown at the first; DOC_DUPLICATE_KEY marks the second)", "Merge the two sections; EB silently drops one of them, sprout uses the later." },
	{ "EBX_ENTRY_SHAPE", "error", "a files/commands/container_commands entry is not a map, or a command has no `command`", "Write `NAME: {command: ..., cwd: ..., ignoreErrors: ...}` or `PATH: {mode, owner, group, content}`." },
	{ "EBX_ENV_NAME_INVALID", "error", "an environment property name is empty, longer than 128 or has other characters than A-Z a-z 0-9 _ . : / + \\ - @", "Rename it; `[A-Z_][A-Z0-9_]*` is portable." },
	{ "EBX_ENV_TOO_LARGE", "error", "all `key=value` environment properties together exceed 4096 bytes", "Move large values into files of the bundle or a secret store." },
	{ "EBX_ENV_VALUE_TOO_LONG", "error", "an environment property value exceeds 256 bytes", "Keep values short; put large ones in a file." },
	{ "EBX_FILE_EMPTY", "warning", "a config file holds nothing", "Delete it or add keys." },
	{ "EBX_FILE_IGNORED", "warning", "a file in .ebextensions does not end in .config (EB ignores it)", "Rename it to NAME.config if it is meant as configuration." },
	{ "EBX_FILE_SKIPPED", "note", "a config file with a validation error is skipped whole, as EB does", "Fix the errors reported for the file." },
	{ "EBX_FILE_TOO_LARGE", "error", "a config file is larger than 1 MiB", "Split it, or ship large content as bundle files." },
	{ "EBX_FILE_UNREADABLE", "error", "a .config entry is not a regular file (a link, a device) or cannot be read", "Make it a plain file of the bundle." },
	{ "EBX_FN_INVALID", "error", "Ref, Fn::GetAtt, Fn::Join or Fn::GetOptionSetting written in the wrong shape", "Use the shape given in the hint, e.g. `Fn::GetAtt: [LogicalID, Attribute]`." },
	{ "EBX_LISTENER_PORT", "error", "an aws:elb:listener:<port> namespace with a port outside 1-65535", "Write the load balancer port: `aws:elb:listener:8080`." },
	{ "EBX_NAMESPACE_UNKNOWN", "warning", "an option namespace EB does not have (the setting is kept but means nothing)", "Fix the spelling (the hint suggests the nearest namespace); see docs/options.md." },
	{ "EBX_NAMESPACE_UNSUPPORTED", "warning", "a real EB namespace that sprout does not apply (aws:elbv2:*, aws:rds:*, container:*, ...)", "Remove it, or rely on what sprout does instead (docs/options.md)." },
	{ "EBX_NOT_APPLICABLE", "warning", "packages, groups, users, sources or services: EC2 host setup that a container platform does not do", "Put it into the image (Dockerfile) or into .platform/hooks." },
	{ "EBX_NOT_A_MAP", "error", "the top level of a config file is not a map", "Start the file with keys such as `option_settings:` or `Resources:`." },
	{ "EBX_OPTION_OVERRIDDEN", "note", "a later .ebextensions file (or item) sets an option again", "Nothing, if intended; otherwise remove one of the two settings." },
	{ "EBX_OPTION_SHAPE", "error", "an option_settings entry of the wrong shape (no option_name, non-scalar value, unknown key)", "List form: `- {namespace: NS, option_name: NAME, value: V}`; map form: `NS: {NAME: V}`." },
	{ "EBX_OPTION_SYNTAX", "error", "an --option argument is not NAMESPACE:OPTION=VALUE", "Write e.g. `--option aws:autoscaling:asg:MinSize=2`." },
	{ "EBX_OPTION_UNKNOWN", "warning", "an option a known namespace does not have", "Fix the spelling (the hint suggests the nearest option or lists them)." },
	{ "EBX_OPTION_VALUE", "error", "a value of the wrong type or outside its range or allowed values", "Use one of the allowed values given in the hint." },
	{ "EBX_REF_UNKNOWN", "error", "Ref, Fn::GetAtt or DependsOn names a logical ID that is neither EB's (in this environment), nor a user resource, nor a Parameter", "Fix the name (the hint suggests the nearest one); a single-instance environment has no load balancer." },
	{ "EBX_RESOURCE_SHAPE", "error", "a resource is not a map, has no Type (only EB's own IDs may omit it) or a non-text Type", "Write `ID: {Type: AWS::..., Properties: {...}}`." },
	{ "EBX_SECTION_TYPE", "error", "a top-level section of the wrong type (option_settings not a list or map, Outputs not a map, ...)", "Give the section the shape named in the message." },
	{ "EBX_TOO_MANY_FILES", "error", "more than 256 config files in .ebextensions", "Merge config files." },
	{ "EBX_TOO_MANY_OPTIONS", "error", "more than 4096 option settings", "Remove settings; most options have sensible defaults." },
	{ "EBX_UNKNOWN_KEY", "error", "an unknown top-level key: EB rejects the file and none of it is applied", "Fix the key (the hint suggests the nearest one); the allowed keys are listed in docs/plan.md." },
};
const size_t sp_ebx_codes_count = sizeof(sp_ebx_codes) / sizeof(sp_ebx_codes[0]);
