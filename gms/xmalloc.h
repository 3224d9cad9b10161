/* xmalloc.h: allocation that dies on failure, so callers never check. */
#ifndef GMS_XMALLOC_H
#define GMS_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);

#endif
