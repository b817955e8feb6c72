/*
 * The functions this code does not call, refused by the compiler: a call
 * to one expands to an undeclared identifier that names it, so the build
 * stops with e.g. "'sorry_strcpy_is_a_banned_function' undeclared".
 * The idea and the form are git's banned.h.
 *
 * MUST: be the last #include of every .c file under helper/, after every
 * system header, so that no declaration in a header is rewritten and every
 * call in the file is. MUST NOT be included from a header.
 *
 * The list is rule 9 of the style guide, with the siblings that share the
 * flaw it bans them for. What to use instead is in each comment: the
 * project's strbuf (util.h), snprintf() with its result checked,
 * parse_int64() (util.h), posix_spawnp() with an argument vector
 * (browser.c).
 */
#ifndef CLERK_BANNED_H
#define CLERK_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

/* No bound at all on what is read. Use fgets() or read() with a bound. */
#undef gets
#define gets(...) BANNED(gets)

/*
 * No bound on what is written; vsprintf() is the same with a va_list.
 * Use snprintf()/vsnprintf() with the result checked, or strbuf_addf().
 */
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)

/*
 * No bound on what is copied; stpcpy() is strcpy() that returns the end.
 * Use memcpy() with a length checked against the room, or a strbuf.
 */
#undef strcpy
#define strcpy(...) BANNED(strcpy)
#undef stpcpy
#define stpcpy(...) BANNED(stpcpy)

/*
 * strcat() has no bound; strncat()'s bound is the room left, not the size
 * of the buffer, the off-by-one the ban is about. Use a strbuf.
 */
#undef strcat
#define strcat(...) BANNED(strcat)
#undef strncat
#define strncat(...) BANNED(strncat)

/*
 * Leaves the copy without a NUL when the source is too long, and pads
 * with NULs when it is short; stpncpy() does the same. Use memcpy() with
 * a checked length, or a strbuf.
 */
#undef strncpy
#define strncpy(...) BANNED(strncpy)
#undef stpncpy
#define stpncpy(...) BANNED(stpncpy)

/*
 * Cuts its input in place, silently merges empty fields and keeps hidden
 * state; strtok_r() drops only the hidden state. Scan with strchr() or
 * strcspn() and lengths.
 */
#undef strtok
#define strtok(...) BANNED(strtok)
#undef strtok_r
#define strtok_r(...) BANNED(strtok_r)

/*
 * No error is reported: garbage reads as 0 and overflow is undefined;
 * atol(), atoll() and atof() are the same for other types. Use
 * parse_int64() (strtoll() with every check).
 */
#undef atoi
#define atoi(...) BANNED(atoi)
#undef atol
#define atol(...) BANNED(atol)
#undef atoll
#define atoll(...) BANNED(atoll)
#undef atof
#define atof(...) BANNED(atof)

/*
 * A number out of range is undefined behaviour and "%s" has no bound;
 * the rest of the family reads the same conversions from elsewhere. Parse
 * by hand with lengths and parse_int64().
 */
#undef sscanf
#define sscanf(...) BANNED(sscanf)
#undef vsscanf
#define vsscanf(...) BANNED(vsscanf)
#undef scanf
#define scanf(...) BANNED(scanf)
#undef vscanf
#define vscanf(...) BANNED(vscanf)
#undef fscanf
#define fscanf(...) BANNED(fscanf)
#undef vfscanf
#define vfscanf(...) BANNED(vfscanf)

/*
 * A shell parses the command line: one unquoted byte from outside is a
 * command. Use posix_spawnp() with an argument vector.
 */
#undef system
#define system(...) BANNED(system)
#undef popen
#define popen(...) BANNED(popen)

#endif
