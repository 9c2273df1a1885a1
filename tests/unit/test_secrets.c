/* test_secrets.c — which environment properties are secret, and masking them. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/base/banned.h"

Test(secrets, names_that_say_secret)
{
	cr_assert(sp_property_is_secret("DB_PASSWORD", NULL));
	cr_assert(sp_property_is_secret("github_token", NULL));
	cr_assert(sp_property_is_secret("Stripe_Api_Key", NULL));
	cr_assert(sp_property_is_secret("AWS_SECRET_ACCESS_KEY", NULL));
	cr_assert_not(sp_property_is_secret("DB_HOST", NULL));
	cr_assert_not(sp_property_is_secret("PORT", NULL));
	cr_assert_not(sp_property_is_secret(NULL, NULL));
}

Test(secrets, secret_properties_list)
{
	cr_assert(sp_property_is_secret("DSN", "A, DSN ,B"));
	cr_assert(sp_property_is_secret("B", "A, DSN ,B"));
	cr_assert_not(sp_property_is_secret("DS", "A, DSN ,B"), "whole names only");
	cr_assert_not(sp_property_is_secret("dsn", "DSN"), "names are case-sensitive, as EB's");
}

Test(secrets, masking_an_option_settings_array)
{
	json_t *a = json_loads(
		"[{\"namespace\":\"aws:elasticbeanstalk:application:environment\",\"option_name\":\"DSN\",\"value\":\"postgres://u:p@h/db\"},"
		" {\"namespace\":\"aws:elasticbeanstalk:application:environment\",\"option_name\":\"API_TOKEN\",\"value\":\"t0k3n\"},"
		" {\"namespace\":\"aws:elasticbeanstalk:application:environment\",\"option_name\":\"MODE\",\"value\":\"prod\"},"
		" {\"namespace\":\"aws:autoscaling:asg\",\"option_name\":\"MinSize\",\"value\":\"2\"},"
		" {\"namespace\":\"sprout:security\",\"option_name\":\"SecretProperties\",\"value\":\"DSN\"}]",
		0, NULL);
	cr_assert_not_null(a);
	sp_option_settings_mask_secrets(a);
	char *out = json_dumps(a, JSON_COMPACT);
	cr_assert_null(strstr(out, "postgres://"), "%s", out);
	cr_assert_null(strstr(out, "t0k3n"), "%s", out);
	cr_assert_not_null(strstr(out, "\"prod\""));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "value")), SP_SECRET_MASK);
	cr_assert(json_is_true(json_object_get(json_array_get(a, 1), "secret")));
	cr_assert_null(json_object_get(json_array_get(a, 2), "secret"));
	free(out);
	json_decref(a);
}
