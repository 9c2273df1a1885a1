/* fuzz_www_authenticate.c — WWW-Authenticate challenges (engine/registry/www_authenticate.h)
 * from hostile registries: never crash, never leak, and whatever parses can be looked up. */
#include <stddef.h>
#include <stdint.h>

#include "engine/registry/www_authenticate.h"
#include "engine/base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_wwwauth w = { 0 };
	if (sp_wwwauth_parse((const char *)data, size, &w) != 0)
		return 0;
	for (size_t i = 0; i < w.n; i++) {
		const struct sp_wwwauth_challenge *c = sp_wwwauth_find(&w, w.challenges[i].scheme);
		if (!c || !sp_wwwauth_param(c, "realm"))
			continue;
	}
	sp_wwwauth_release(&w);
	return 0;
}
