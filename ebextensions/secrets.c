/* secrets.c — which environment properties are secret, and masking them in option lists.
 *
 * A property is secret when sprout:security SecretProperties names it, or when its name
 * says so (PASSWORD, SECRET, TOKEN, PRIVATE_KEY, ACCESS_KEY, API_KEY, CREDENTIAL, in any
 * case). The engine masks them wherever it shows option settings; containers still get
 * the real values. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "ebextensions/ebextensions.h"
#include "engine/base/banned.h"

#define PROPERTIES_NS "aws:elasticbeanstalk:application:environment"
#define MAX_SECRET_NAME 128

static const char *const secret_words[] = {
	"password", "passwd", "secret", "token", "private_key", "access_key", "api_key",
	"credential",
};

static bool listed(const char *name, const char *list)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		while (*p == ',' || *p == ' ')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > p && t[-1] == ' ')
			t--;
		if ((size_t)(t - p) == n && memcmp(p, name, n) == 0)
			return true;
		p = e;
	}
	return false;
}

bool sp_property_is_secret(const char *name, const char *secret_list)
{
	if (!name)
		return false;
	if (listed(name, secret_list))
		return true;
	char low[MAX_SECRET_NAME + 1];
	size_t n = strlen(name);
	if (n > MAX_SECRET_NAME)
		n = MAX_SECRET_NAME;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
		if (strstr(low, secret_words[i]))
			return true;
	return false;
}

static const char *str_of(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

void sp_option_settings_mask_secrets(json_t *settings)
{
	const char *list = NULL;
	size_t i;
	json_t *s;
	json_array_foreach(settings, i, s) {
		if (strcmp(str_of(s, "namespace"), "sprout:security") == 0 &&
		    strcmp(str_of(s, "option_name"), "SecretProperties") == 0)
			list = json_string_value(json_object_get(s, "value"));
	}
	json_array_foreach(settings, i, s) {
		if (strcmp(str_of(s, "namespace"), PROPERTIES_NS) != 0 ||
		    !sp_property_is_secret(str_of(s, "option_name"), list))
			continue;
		json_object_set_new(s, "secret", json_true());
		if (json_is_string(json_object_get(s, "value")))
			json_object_set_new(s, "value", json_string(SP_SECRET_MASK));
	}
}
