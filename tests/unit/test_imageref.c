/* test_imageref.c — engine/image/ref.h: distribution's reference grammar and Docker's
 * normalisation (docker.io default, library/ prefix, index.docker.io, tag "latest"). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/image/ref.h"
#include "engine/base/banned.h"

static void expect(const char *in, const char *domain, const char *path, const char *tag,
		   const char *digest, const char *canonical, const char *familiar)
{
	struct sp_image_ref r;
	const char *why = NULL;
	cr_assert_eq(sp_image_ref_parse(in, &r, &why), 0, "%s: %s", in, why ? why : "");
	cr_assert_str_eq(r.domain, domain, "%s", in);
	cr_assert_str_eq(r.path, path, "%s", in);
	if (tag)
		cr_assert_str_eq(r.tag, tag, "%s", in);
	else
		cr_assert_null(r.tag, "%s", in);
	if (digest)
		cr_assert_str_eq(r.digest, digest, "%s", in);
	else
		cr_assert_null(r.digest, "%s", in);
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_image_ref_string(&r, SP_IMAGE_REF_CANONICAL, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), canonical, "%s", in);
	sp_buf_reset(&b);
	cr_assert_eq(sp_image_ref_string(&r, SP_IMAGE_REF_FAMILIAR, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), familiar, "%s", in);
	sp_buf_free(&b);
	sp_image_ref_free(&r);
}

Test(imageref, official_image)
{
	expect("nginx", "docker.io", "library/nginx", NULL, NULL, "docker.io/library/nginx:latest", "nginx");
	expect("php:fpm", "docker.io", "library/php", "fpm", NULL, "docker.io/library/php:fpm", "php:fpm");
	expect("docker.io/nginx", "docker.io", "library/nginx", NULL, NULL, "docker.io/library/nginx:latest", "nginx");
	expect("index.docker.io/library/redis:7", "docker.io", "library/redis", "7", NULL,
	       "docker.io/library/redis:7", "redis:7");
}

Test(imageref, user_and_registry_images)
{
	expect("org/app:1.2", "docker.io", "org/app", "1.2", NULL, "docker.io/org/app:1.2", "org/app:1.2");
	expect("localhost/app", "localhost", "app", NULL, NULL, "localhost/app:latest", "localhost/app");
	expect("localhost:5000/team/app", "localhost:5000", "team/app", NULL, NULL,
	       "localhost:5000/team/app:latest", "localhost:5000/team/app");
	expect("127.0.0.1:5000/app:v1", "127.0.0.1:5000", "app", "v1", NULL, "127.0.0.1:5000/app:v1",
	       "127.0.0.1:5000/app:v1");
	expect("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:Tag_1",
	       "123456789012.dkr.ecr.us-east-1.amazonaws.com", "team/app", "Tag_1", NULL,
	       "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:Tag_1",
	       "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:Tag_1");
	expect("[::1]:5000/app", "[::1]:5000", "app", NULL, NULL, "[::1]:5000/app:latest", "[::1]:5000/app");
	expect("My-Registry.example.com/a__b/c.d-e---f", "My-Registry.example.com", "a__b/c.d-e---f", NULL,
	       NULL, "My-Registry.example.com/a__b/c.d-e---f:latest", "My-Registry.example.com/a__b/c.d-e---f");
}

Test(imageref, digests)
{
	const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char in[200], dg[100], canon[200];
	snprintf(dg, sizeof(dg), "sha256:%s", hex);
	snprintf(in, sizeof(in), "nginx:1.25@%s", dg);
	snprintf(canon, sizeof(canon), "docker.io/library/nginx:1.25@%s", dg);
	expect(in, "docker.io", "library/nginx", "1.25", dg, canon, canon + strlen("docker.io/library/"));
	snprintf(in, sizeof(in), "nginx@%s", dg);
	snprintf(canon, sizeof(canon), "docker.io/library/nginx@%s", dg);
	expect(in, "docker.io", "library/nginx", NULL, dg, canon, canon + strlen("docker.io/library/"));
}

Test(imageref, invalid_references)
{
	static const char *const bad[] = {
		"", "Nginx", "UPPER/app", "nginx:", ":tag", "nginx:-x", "nginx:.x", "-app", "app-",
		"a..b", "a/", "/a", "a//b", "my app", "app\t", "nginx@sha256:abc", "nginx@sha256",
		"nginx@:0123456789abcdef0123456789abcdef", "<ACCOUNT>.dkr.ecr.us-east-1.amazonaws.com/app",
		"-host.com/app", "host-.com/app", "host.com:port/app", "[IMAGE]", "DOCKER_IMAGE_NAME",
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "a_-b", "a___b",
		"caf\xc3\xa9",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sp_image_ref r = { 0 };
		const char *why = NULL;
		cr_assert_neq(sp_image_ref_parse(bad[i], &r, &why), 0, "accepted \"%s\"", bad[i]);
		cr_assert_not_null(why);
		cr_assert_null(r.path, "output written on failure");
		cr_assert(!sp_image_ref_valid(bad[i]));
	}
}

Test(imageref, limits)
{
	char name[300], tag[200], in[600];
	memset(name, 'a', 255);
	name[255] = 0;
	cr_assert(sp_image_ref_valid(name), "255 characters is the maximum, not over it");
	name[255] = 'a';
	name[256] = 0;
	const char *why = NULL;
	struct sp_image_ref r;
	cr_assert_eq(sp_image_ref_parse(name, &r, &why), SP_ETOOBIG);
	memset(tag, 't', 128);
	tag[128] = 0;
	snprintf(in, sizeof(in), "app:%s", tag);
	cr_assert(sp_image_ref_valid(in));
	snprintf(in, sizeof(in), "app:%st", tag);
	cr_assert(!sp_image_ref_valid(in), "a tag of 129 characters");
}

Test(imageref, repository_form)
{
	struct sp_image_ref r;
	cr_assert_eq(sp_image_ref_parse("redis:7", &r, NULL), 0);
	struct sp_buf b = SP_BUF_INIT(0);
	cr_assert_eq(sp_image_ref_string(&r, SP_IMAGE_REF_REPOSITORY, &b), 0);
	cr_assert_str_eq(sp_buf_cstr(&b), "docker.io/library/redis");
	sp_buf_free(&b);
	sp_image_ref_free(&r);
	sp_image_ref_free(&r); /* safe twice */
}
