/*
 * check.h: the smallest test harness.  A test file defines functions that
 * use CHECK(); main() runs them with RUN().  Each test prints one line,
 * "PASS name" or "FAIL name", and the failing checks before it; tests/run
 * counts those lines.  The exit status is non-zero if any test failed.
 */
#ifndef GMS_CHECK_H
#define GMS_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int	check_failed;	/* checks failed in the current test */
static int	check_tests_failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("  check failed: %s (%s:%d)\n", #cond,		\
		    __FILE__, __LINE__);				\
		check_failed++;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long check_a = (long long)(a), check_b = (long long)(b);	\
	if (check_a != check_b) {					\
		printf("  check failed: %s == %s (%lld != %lld) "	\
		    "(%s:%d)\n", #a, #b, check_a, check_b,		\
		    __FILE__, __LINE__);				\
		check_failed++;						\
	}								\
} while (0)

#define RUN(fn) do {							\
	check_failed = 0;						\
	fn();								\
	printf("%s %s\n", check_failed ? "FAIL" : "PASS", #fn);		\
	fflush(stdout);							\
	if (check_failed)						\
		check_tests_failed++;					\
} while (0)

#define SKIP(fn, why) do {						\
	printf("SKIP %s: %s\n", #fn, why);				\
	fflush(stdout);							\
} while (0)

#define CHECK_DONE()	(check_tests_failed ? 1 : 0)

#endif
