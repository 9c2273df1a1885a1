/* fuzz_dockerrun.c — libFuzzer harness for engine/dockerrun (and engine/image/ref.h through
 * it): any bytes are loaded as Dockerrun.aws.json with every option combination the first
 * byte picks; a file that loads becomes a task definition, rendered to JSON. Nothing may
 * crash, leak or read out of bounds. Corpus: tests/fuzz/corpus/dockerrun/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dockerrun/dockerrun.h"
#include "engine/image/ref.h"
#include "engine/base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_even(void *ctx, const char *rel)
{
	(void)ctx;
	return strlen(rel) % 2 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_dockerrun_options o = { 0 };
	uint8_t flags = size ? data[0] : 0;
	o.allow_privileged = flags & 1;
	o.allow_host_paths = flags & 2;
	o.allow_docker_socket = flags & 4;
	if (flags & 8) {
		o.bundle_has = has_even;
		o.bundle_ctx = NULL;
	}
	struct sp_diags d;
	struct sp_dockerrun *dr = NULL;
	sp_diags_init(&d);
	if (sp_dockerrun_load((const char *)data, size, "Dockerrun.aws.json", &o, &d, &dr) == 0) {
		json_t *td = NULL;
		if (sp_taskdef_to_json(dr, "awseb-fuzz-e-0", &td) == 0) {
			char *s = json_dumps(td, JSON_COMPACT);
			free(s);
			json_decref(td);
		}
		for (size_t i = 0; i < dr->n_containers; i++) {
			struct sp_image_ref r;
			if (sp_image_ref_parse(dr->containers[i].image, &r, NULL) == 0) {
				struct sp_buf b = SP_BUF_INIT(0);
				sp_image_ref_string(&r, SP_IMAGE_REF_CANONICAL, &b);
				sp_buf_free(&b);
				sp_image_ref_free(&r);
			}
		}
		sp_dockerrun_free(dr);
	}
	struct sp_buf text = SP_BUF_INIT(0);
	sp_diags_render_text(&d, false, &text);
	sp_buf_free(&text);
	sp_diags_free(&d);
	/* the raw bytes as an image reference too */
	if (size < 600) {
		char ref[600];
		memcpy(ref, data, size);
		ref[size] = 0;
		sp_image_ref_valid(ref);
	}
	return 0;
}
