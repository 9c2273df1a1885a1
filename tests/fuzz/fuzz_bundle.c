/* fuzz_bundle.c — libFuzzer harness for the bundle reader (bundles/bundle_read.c):
 * any bytes, read as a zip or tar with small limits, manifest to JSON, nothing written.
 * Corpus: tests/fuzz/corpus/bundle/ (seeds made by its generate.py). */
#include <stddef.h>
#include <stdint.h>

#include "bundles/bundle.h"
#include "engine/base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_bundle_limits lim = SP_BUNDLE_LIMITS_DEFAULT;
	struct sp_diags d;
	struct sp_bundle *b = NULL;
	lim.max_uncompressed = (uint64_t)64 << 20;
	lim.max_entries = 10000;
	sp_diags_init(&d);
	if (sp_bundle_open_memory(data, size, "fuzz.zip", &lim, &d, &b) == 0) {
		json_t *j = sp_bundle_to_json(b);
		json_decref(j);
		for (size_t i = 0; i < sp_bundle_entry_count(b); i++)
			(void)sp_bundle_find(b, sp_bundle_entry_at(b, i)->path);
		sp_bundle_free(b);
	}
	sp_diags_free(&d);
	return 0;
}
