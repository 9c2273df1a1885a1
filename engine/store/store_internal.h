/* store_internal.h — what store.c lends the module's other files (store_env.c): the
 * SQLite connection of a struct sp_store and its error recording. Not a public header. */
#ifndef SPROUT_STORE_INTERNAL_H
#define SPROUT_STORE_INTERNAL_H

#include <sqlite3.h>

#include "engine/store/store.h"

sqlite3 *sp_store_sqlite(struct sp_store *s);
/* Copies SQLite's last message into the store's errmsg; returns SP_EIO. */
int sp_store_fail(struct sp_store *s);
/* Sets the errmsg text; returns rc. */
int sp_store_fail_msg(struct sp_store *s, int rc, const char *msg);

#endif
