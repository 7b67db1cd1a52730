/* moved down by this comment */
/* A project's own assert, as redis's serverAssert: the line is the
 * second argument (%esi), and GCC merges the two failure paths into one
 * call, each loading its own line and jumping there. */
void report_fail(const char *expr, int line, const char *file) __attribute__((noreturn, cold));
#define my_assert(e) ((e) ? (void)0 : report_fail(#e, __LINE__, __FILE__))

int ratio(int a, int b, int c)
{
	my_assert(b != 0);
	my_assert(c != 0);
	return a / b + a / c;
}
