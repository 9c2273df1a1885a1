/* banned.h — functions sprout's code must not call (git's banned.h is the model).
 *
 * Included last by every .c file of the project (through the compiler's -include
 * flag), so a use of one of these is a compile error that names the reason.
 * Use sp_buf (buf.h) for strings, snprintf for bounded formatting and
 * sp_parse_* (buf.h) for numbers instead. */
#ifndef SPROUT_BANNED_H
#define SPROUT_BANNED_H

#define SP_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) SP_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SP_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SP_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) SP_BANNED(strncat)
#undef strtok
#define strtok(x, y) SP_BANNED(strtok)
#undef sprintf
#define sprintf(...) SP_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SP_BANNED(vsprintf)
#undef gets
#define gets(x) SP_BANNED(gets)
#undef atoi
#define atoi(x) SP_BANNED(atoi)
#undef atol
#define atol(x) SP_BANNED(atol)
#undef atoll
#define atoll(x) SP_BANNED(atoll)

#endif
